/* docker create: the request checked as far as it can be before the start
 * (the image, the name, the HostConfig through the config.json builder),
 * the Config merged with the image's as dockerd stores it, the container's
 * directory with its own hostname, hosts and resolv.conf, its root file
 * system, and its record. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "container_rootfs.h"
#include "container_spec.h"
#include "engine_containers_internal.h"
#include "file.h"
#include "health_config.h"
#include "json.h"
#include "volumes.h"

#define HOST_FILE_MAX (1u << 20)

/* The image's config, merged under the request's as dockerd keeps it. */
static json_t *merge_config(json_t *image_config, json_t *request)
{
	json_t *c = json_deep_copy(request);
	json_object_del(c, "HostConfig");
	json_object_del(c, "NetworkingConfig");
	json_t *entrypoint = json_object_get(request, "Entrypoint");
	/* Cmd and Entrypoint as they will run (see berth_container_args) */
	if (json_array_size(entrypoint) == 0) {
		if (json_array_size(json_object_get(request, "Cmd")) == 0)
			json_object_set(c, "Cmd", json_object_get(image_config, "Cmd"));
		if (!json_is_array(entrypoint))
			json_object_set(c, "Entrypoint", json_object_get(image_config, "Entrypoint"));
	}
	/* the image's environment, the request's over it */
	json_t *env = json_array(), *v;
	size_t i;
	json_array_foreach(json_object_get(image_config, "Env"), i, v) json_array_append(env, v);
	json_array_foreach(json_object_get(request, "Env"), i, v)
	{
		const char *s = json_string_value(v);
		size_t key = s ? strcspn(s, "=") : 0, j;
		json_t *old;
		bool replaced = false;
		json_array_foreach(env, j, old)
		{
			const char *o = json_string_value(old);
			if (s && o && strncmp(o, s, key) == 0 && (o[key] == '=' || o[key] == '\0')) {
				json_array_set(env, j, v);
				replaced = true;
				break;
			}
		}
		if (!replaced)
			json_array_append(env, v);
	}
	json_object_set_new(c, "Env", env);
	static const char *const inherited[] = { "WorkingDir", "User", "StopSignal", NULL };
	for (const char *const *k = inherited; *k; k++)
		if (json_string_length(json_object_get(c, *k)) == 0 && json_object_get(image_config, *k))
			json_object_set(c, *k, json_object_get(image_config, *k));
	json_t *labels = json_object();
	json_object_update(labels, json_object_get(image_config, "Labels"));
	json_object_update(labels, json_object_get(request, "Labels"));
	json_object_set_new(c, "Labels", labels);
	json_t *health = berth_health_merge(json_object_get(image_config, "Healthcheck"),
					    json_object_get(request, "Healthcheck"));
	if (health)
		json_object_set_new(c, "Healthcheck", health);
	else
		json_object_del(c, "Healthcheck");
	/* the image's ports and volumes, and the request's besides */
	static const char *const objects[] = { "ExposedPorts", "Volumes", NULL };
	for (const char *const *k = objects; *k; k++) {
		json_t *mine = json_object_get(c, *k), *image = json_object_get(image_config, *k);
		if (!json_object_size(mine) && image)
			json_object_set(c, *k, image);
		else if (json_is_object(mine) && json_is_object(image))
			json_object_update_missing(mine, image);
	}
	return c;
}

static int write_text(const char *dir, const char *name, const char *text, struct berth_error *err)
{
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return berth_error_sys(err, errno, "open %s", dir);
	return berth_write_file_atomic(dirfd, name, text, strlen(text), 0644, 0, err);
}

/* resolv.conf: the host's, without loopback name servers (they do not
 * answer in the container's network namespace), else docker's fallback. */
static char *resolv_conf(bool host_network)
{
	_cleanup_free_ char *host = NULL;
	size_t len = 0;
	struct berth_error ignored = { 0 };
	berth_read_file_at(AT_FDCWD, "/etc/resolv.conf", HOST_FILE_MAX, &host, &len, &ignored);
	char *out = calloc(1, len + 64);
	bool servers = false;
	if (!out)
		return NULL;
	for (char *save = NULL, *line = host ? strtok_r(host, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		bool ns = strncmp(line, "nameserver", 10) == 0;
		if (ns && !host_network && (strstr(line, " 127.") || strstr(line, " ::1")))
			continue;
		servers |= ns;
		strcat(out, line);
		strcat(out, "\n");
	}
	if (!servers)
		strcat(out, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
	return out;
}

static char *hosts_file(json_t *host_config, const char *hostname)
{
	const char *net = json_string_value(json_object_get(host_config, "NetworkMode"));
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);
	if (!f)
		return NULL;
	if (net && strcmp(net, "host") == 0) {
		_cleanup_free_ char *host = NULL;
		size_t len;
		struct berth_error ignored = { 0 };
		if (berth_read_file_at(AT_FDCWD, "/etc/hosts", HOST_FILE_MAX, &host, &len, &ignored) == 0)
			fputs(host, f);
	} else {
		fprintf(f, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
			   "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"
			   "127.0.1.1\t%s\n",
			hostname);
	}
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(host_config, "ExtraHosts"), i, v)
	{
		const char *s = json_string_value(v);
		/* "name:ip" (an IPv6 address has colons: split at the first) */
		const char *colon = s ? strchr(s, ':') : NULL;
		if (colon)
			fprintf(f, "%s\t%.*s\n", colon + 1, (int) (colon - s), s);
	}
	fclose(f);
	return out;
}

static int make_files(const char *dir, json_t *config, json_t *host_config, const char *hostname,
		      struct berth_error *err)
{
	const char *net = json_string_value(json_object_get(host_config, "NetworkMode"));
	char line[128];
	_cleanup_free_ char *hosts = hosts_file(host_config, hostname);
	_cleanup_free_ char *resolv = resolv_conf(net && strcmp(net, "host") == 0);
	(void) config;
	if (!hosts || !resolv)
		return berth_error_sys(err, ENOMEM, "container files");
	snprintf(line, sizeof(line), "%s\n", hostname);
	int r = write_text(dir, "hostname", line, err);
	if (r == 0)
		r = write_text(dir, "hosts", hosts, err);
	if (r == 0)
		r = write_text(dir, "resolv.conf", resolv, err);
	return r;
}

static int no_volumes(void *ctx, const char *name, char **ret, struct berth_error *err)
{
	(void) ctx;
	(void) name;
	*ret = strdup("/nonexistent");
	return *ret ? 0 : berth_error_sys(err, ENOMEM, "volume");
}

/* What would fail at start fails now, as dockerd checks it at create. */
static int check_spec(const char *id, json_t *config, json_t *host_config, struct berth_error *err)
{
	_cleanup_json_ json_t *spec = NULL;
	struct berth_container_spec_input in = {
		.id = id,
		.config = config,
		.host_config = host_config,
		.rootfs = "/",
		.cgroup_parent = "/berth",
		.volume_path = no_volumes,
	};
	return berth_container_spec(&in, &spec, err);
}

static int prepare(struct berth_engine *e, struct berth_container_record *c, const char *top, char *dir,
		   struct berth_error *err)
{
	char hostname[65];
	const char *h = json_string_value(json_object_get(c->config, "Hostname"));
	snprintf(hostname, sizeof(hostname), "%s", h && *h ? h : "");
	if (!hostname[0])
		snprintf(hostname, sizeof(hostname), "%.12s", c->id);
	container_dir(e, c->id, dir);
	if (mkdir(dir, 0710) < 0) {
		int r = berth_error_sys(err, errno, "mkdir %s", dir);
		dir[0] = '\0'; /* not ours to remove */
		return r;
	}
	int r = make_files(dir, c->config, c->host_config, hostname, err);
	if (r == 0)
		r = berth_container_rootfs_create(e->snapshots, dir, top, err);
	return r;
}

int berth_engine_container_create(struct berth_engine *e, const char *name, json_t *body, char ret_id[65],
				  struct berth_error *err)
{
	struct engine_containers *cs = e->containers;
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	_cleanup_json_ json_t *image_config = NULL;
	struct berth_image img = { 0 };
	char dir[4096] = "";
	const char *image = json_string_value(json_object_get(body, "Image"));
	json_t *hc = json_object_get(body, "HostConfig");
	if (!json_is_object(body))
		return berth_error_set(err, EINVAL, "config: want a JSON object");
	if (!image || !*image)
		return berth_error_set(err, EINVAL, "Config.Image: no image given");
	if (hc && !json_is_object(hc))
		return berth_error_set(err, EINVAL, "HostConfig: want a JSON object");
	if (name && *name && !berth_container_name_valid(name))
		return berth_error_set(err, EINVAL, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
				       name);
	int r = berth_health_validate(json_object_get(body, "Healthcheck"), err);
	if (r == 0)
		r = berth_engine_image_lookup(e, image, c.image_id, err);
	if (r == 0)
		r = berth_engine_image_config(e, c.image_id, &image_config, err);
	if (r == 0)
		r = berth_images_get(e->db, c.image_id, &img, err);
	if (r == 0)
		r = berth_container_new_id(c.id, err);
	if (r < 0) {
		berth_image_clear(&img);
		return r;
	}
	c.image = strdup(image);
	c.config = merge_config(json_object_get(image_config, "config"), body);
	c.host_config = hc ? json_deep_copy(hc) : json_object();
	c.state = state_created();
	c.created_nano = now_nano();
	if (!c.image || !c.config || !c.host_config || !c.state)
		r = berth_error_sys(err, ENOMEM, "create container");
	if (r == 0 && !json_object_get(c.host_config, "NetworkMode"))
		json_object_set_new(c.host_config, "NetworkMode", json_string("bridge"));
	if (r == 0)
		r = check_spec(c.id, c.config, c.host_config, err);
	pthread_mutex_lock(&cs->lock);
	const char *init;
	if (r == 0 && json_is_true(json_object_get(c.host_config, "Init")))
		r = container_init_path(e, &init, err);
	if (r == 0 && name && *name)
		snprintf(c.name, sizeof(c.name), "%s", name[0] == '/' ? name + 1 : name);
	else if (r == 0)
		r = berth_containers_generate_name(e->db, c.name, err);
	if (r == 0)
		r = prepare(e, &c, img.top_snapshot, dir, err);
	if (r == 0)
		r = container_volumes_acquire(e, c.id, c.config, c.host_config, err);
	if (r == 0)
		r = berth_containers_insert(e->db, &c, err);
	if (r < 0) {
		struct berth_error ignored = { 0 };
		berth_engine_volume_release(e, c.id, &ignored);
		container_volumes_remove_anonymous(e, &c);
		if (dir[0])
			berth_remove_tree_at(AT_FDCWD, dir, &ignored);
	}
	if (r == 0) {
		snprintf(ret_id, 65, "%s", c.id);
		container_event(e, "create", &c, NULL);
	}
	pthread_mutex_unlock(&cs->lock);
	berth_image_clear(&img);
	return r;
}
