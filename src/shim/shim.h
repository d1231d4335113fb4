/* berth-shim's objects and the calls between its files.
 *
 * One process, one epoll loop, no threads.  Everything the loop watches
 * embeds a struct shim_watch (its descriptor and handler), found again with
 * shim_container_of.  An object that goes away while events for it may
 * still be queued in the same epoll_wait batch is "retired": its descriptor
 * is closed at once (fd = -1, so a queued event for it is skipped) and its
 * memory is freed after the batch.
 *
 *   main.c      options, the double fork, the report to the caller
 *   loop.c      the loop: epoll, signals, reaping, deadlines, retiring
 *   runtime.c   running the OCI runtime's commands and reading their errors
 *   session.c   a process's stdio: pipes or pty, output fan-out, stdin
 *   attach.c    attach sockets: framing, bounded buffers, stdin from clients
 *   control.c   the control socket: requests and replies
 *   exec.c      exec sessions
 *   lifecycle.c create, the container's exit, and the way out
 *   jsonlog.c   docker's json-file log;  request.c, runtime_log.c  parsers
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "jsonlog.h"
#include "request.h"

#define shim_container_of(ptr, type, member) ((type *) (void *) ((char *) (ptr) - offsetof(type, member)))

/* One read buffer, shared by every stream: output goes out (log, attachers'
 * sockets, their queues) before the next read. */
#define SHIM_IOBUF_SIZE (32 * 1024)
/* Output an attacher has not taken yet; past this it is cut off, so one
 * slow client never holds the container, the log or the other clients. */
#define SHIM_ATTACHER_QUEUE_MAX (1024 * 1024)
/* What an exec session's output keeps for its first attacher (the process
 * runs before anyone can attach: --detach). */
#define SHIM_EXEC_REPLAY_MAX (64 * 1024)
#define SHIM_ATTACHERS_MAX 64
#define SHIM_CONTROL_CONNS_MAX 64
#define SHIM_EXECS_MAX 64
#define SHIM_CALLS_MAX 16u
/* How long a finished exec's socket waits for its first client. */
#define SHIM_EXEC_LINGER_MS 10000
/* After a process exits, how long its output pipes may stay open (a
 * daemonized grandchild holding them) before the shim stops reading. */
#define SHIM_DRAIN_MS 1000
/* On the way out: how long attachers get to take their last output, and
 * how long runtime commands still running get to finish. */
#define SHIM_LINGER_MS 3000
#define SHIM_DELETE_TIMEOUT_MS 30000

struct shim;

struct shim_watch {
	int fd;
	void (*on_event)(struct shim *shim, struct shim_watch *w, uint32_t events);
	uint32_t events;  /* what epoll watches for */
	bool registered; /* in the epoll set */
};

/* Bytes waiting to be written to a socket, bounded by its owner. */
struct outbuf {
	char *data;
	size_t head, len, cap;
};

struct session;

struct attacher {
	struct shim_watch watch;
	struct session *session;
	struct attacher *next;
	char header[SHIM_ATTACH_HEADER_MAX + 1];
	size_t header_len;
	bool header_done;
	bool want_stdin, want_stdout, want_stderr;
	bool in_eof;     /* the client closed its sending side */
	bool closing;    /* the session ended: close once the queue is out */
	struct outbuf out;
	struct outbuf in; /* stdin the container has not taken yet */
};

/* One output of a session: stdout, stderr, or the pty (stream 1). */
struct stream {
	struct shim_watch watch;
	struct session *session;
	uint8_t id; /* docker's stream byte: 1 stdout, 2 stderr */
	struct jsonlog_line line;
};

/* A process whose stdio the shim holds: the container's init, or an exec. */
struct session {
	struct shim *shim;
	struct session *next;
	char *exec_id; /* NULL for the container */
	bool tty, want_stdin, stdin_once;
	struct stream out[2];
	struct shim_watch stdin_watch; /* write end of stdin (a dup of the pty master); -1 when none */
	bool stdin_blocked;            /* stdin_watch waits for EPOLLOUT */
	int child_stdio[3];            /* the ends the runtime passes on, closed after it ran */
	struct shim_watch attach_listener;
	struct shim_watch console_listener;
	char *console_path;
	int pty_master;                /* resize target (tty); -1 when none */
	struct attacher *attachers;
	unsigned n_attachers;
	struct outbuf replay; /* exec: output before the first attacher, as frames */
	bool replaying;
	struct control_conn *waiters; /* `wait` requests, linked by next_waiter */
	pid_t pid;
	bool exited, finished;
	int exit_code;
	int64_t exit_ns;                 /* unix nanos */
	int64_t drain_deadline, linger_deadline; /* monotonic ms */
};

enum runtime_call_kind { CALL_CREATE, CALL_START, CALL_KILL, CALL_EXEC, CALL_DELETE };

struct runtime_call {
	enum runtime_call_kind kind;
	pid_t pid;
	struct runtime_call *next;
	struct control_conn *conn; /* who gets the reply; NULL when nobody */
	struct session *session;   /* create, exec */
	struct shim_watch capture; /* the runtime's stderr, when not a session's */
	char stderr_tail[512];
	size_t stderr_len;
	int64_t log_offset; /* runtime.log's size when the call began */
};

struct control_conn {
	struct shim_watch watch;
	struct control_conn *next;
	size_t len;
	bool busy; /* the request line is in; later bytes are ignored */
	struct session *waiting_on;
	struct control_conn *next_waiter;
	char line[SHIM_REQUEST_MAX + 1];
};

struct shim_options {
	const char *id, *bundle, *state_dir, *runtime, *runtime_root, *log_path;
	uint64_t log_max_size;
	unsigned log_max_files;
	bool terminal, stdin, stdin_once;
	int sync_fd;
};

enum shim_phase {
	PHASE_CREATING, /* the runtime's create runs */
	PHASE_RUNNING,  /* created or started: serving */
	PHASE_EXITED,   /* the init was reaped: draining, then the exit is recorded */
	PHASE_STOPPING, /* recorded: waiting for runtime commands still running */
	PHASE_DELETING, /* `delete --force` runs */
	PHASE_DONE,
};

struct shim {
	struct shim_options opt; /* bundle, state_dir, runtime: absolute */
	char runtime_log[4096];
	int epfd;
	struct shim_watch signals;
	struct shim_watch control_listener;
	struct control_conn *conns;
	unsigned n_conns;
	struct session container;
	struct session *execs;
	unsigned n_execs;
	struct runtime_call *calls;
	struct jsonlog *log;
	char *iobuf;
	enum shim_phase phase;
	int64_t phase_deadline; /* monotonic ms; 0: none */
	struct {
		pid_t pid;
		int status;
	} unclaimed[16]; /* reaped before the shim knew whose they were */
	unsigned n_unclaimed;
	int report_fd;   /* to the first process, until create is reported */
	char fail_msg[BERTH_ERROR_MAX]; /* created but abandoned: reported after the delete */
	unsigned console_seq;
	void **retired;
	size_t n_retired, cap_retired;
	int exit_status;
};

/* loop.c */
int shim_loop_init(struct shim *shim, struct berth_error *err);
int shim_loop_run(struct shim *shim);
int shim_watch_add(struct shim *shim, struct shim_watch *w, uint32_t events);
void shim_watch_set(struct shim *shim, struct shim_watch *w, uint32_t events);
void shim_watch_close(struct shim *shim, struct shim_watch *w);
void shim_retire(struct shim *shim, void *owner);
void shim_free_retired(struct shim *shim);
int64_t shim_now_ms(void);
int64_t shim_now_unix_ns(void);
void shim_claim_pid(struct shim *shim, pid_t pid); /* a pid learned late: was it reaped already? */
int shim_listen(const char *name, struct berth_error *err);

/* outbuf (attach.c) */
int outbuf_append(struct outbuf *b, const void *data, size_t len, size_t max);
void outbuf_consume(struct outbuf *b, size_t n);
void outbuf_free(struct outbuf *b);

/* runtime.c */
struct runtime_stdio {
	int in, out, err; /* -1: /dev/null (out, err: the call's capture pipe) */
};
int runtime_spawn(struct shim *shim, enum runtime_call_kind kind, const char *const *args,
		  const struct runtime_stdio *stdio, struct runtime_call **ret, struct berth_error *err);
bool runtime_reaped(struct shim *shim, pid_t pid, int status);
void runtime_call_error(struct shim *shim, struct runtime_call *call, int status, char *out, size_t size);
unsigned runtime_calls_pending(const struct shim *shim, bool except_delete);
int runtime_read_pid(const char *name, pid_t *ret, struct berth_error *err);

/* session.c */
/* Every descriptor -1: cleanup is safe from here on. */
void session_prepare(struct shim *shim, struct session *s);
/* Pipes or the console socket; s->tty, want_stdin, stdin_once, exec_id are
 * set by the caller. */
int session_init(struct session *s, struct berth_error *err);
int session_started(struct session *s, struct berth_error *err);
int session_take_console(struct session *s, struct berth_error *err);
void session_release_child_stdio(struct session *s);
void session_close_stdin(struct session *s);
void session_stdin_drain(struct session *s);
int session_resize(struct session *s, unsigned short rows, unsigned short cols, struct berth_error *err);
void session_exited(struct session *s, int status);
void session_check_drain(struct session *s, int64_t now_ms);
void session_cleanup(struct session *s);
void session_add_waiter(struct session *s, struct control_conn *conn);
const char *session_name(const struct session *s, char *buf, size_t size);

/* attach.c */
int attach_listen(struct session *s, const char *name, struct berth_error *err);
/* Before the program starts: accept the clients already connecting and read
 * their headers, so that one that attached before `start` (docker run)
 * misses none of the output, whatever order the loop sees events in. */
void attach_settle(struct session *s);
void attach_output(struct session *s, uint8_t stream, const char *data, size_t len);
void attach_session_ended(struct session *s);
void attach_stdin_unblocked(struct session *s);
void attach_drop_stdin(struct session *s);
unsigned attach_lingering(const struct shim *shim);
void attach_close_all(struct session *s);

/* control.c */
int control_listen(struct shim *shim, struct berth_error *err);
void control_reply(struct shim *shim, struct control_conn *conn, const char *fmt, ...) BERTH_PRINTF(3, 4);
void control_drop(struct shim *shim, struct control_conn *conn);

/* exec.c */
void exec_request(struct shim *shim, struct control_conn *conn, const struct shim_request *req);
void exec_call_done(struct shim *shim, struct runtime_call *call, int status);
struct session *exec_find(struct shim *shim, const char *exec_id);
void exec_finished(struct session *s);
void exec_close_socket(struct session *s);
void exec_tick(struct shim *shim, int64_t now_ms);
void exec_release(struct session *s);

/* lifecycle.c */
int lifecycle_create(struct shim *shim, struct berth_error *err);
void lifecycle_call_done(struct shim *shim, struct runtime_call *call, int status);
void lifecycle_container_finished(struct shim *shim);
void lifecycle_tick(struct shim *shim, int64_t now_ms);
void lifecycle_reaped(struct shim *shim, pid_t pid, int status);
bool lifecycle_owns_pid(const struct shim *shim, pid_t pid);
int64_t lifecycle_next_deadline(const struct shim *shim);
void lifecycle_cleanup(struct shim *shim);
