# The docker-format default seccomp profile (containers-common's
# /usr/share/containers/seccomp.json) as an OCI linux.seccomp object, for
# x86_64 and docker's default capability set.
def defcaps: ["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW","CAP_SETGID",
  "CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"];
def applies:
  ((.includes.arches // null) as $a | $a == null or ($a | index("amd64")) != null)
  and ((.includes.caps // null) as $c | $c == null or ($c | all(. as $x | defcaps | index($x) != null)))
  and ((.excludes.arches // null) as $a | $a == null or ($a | index("amd64")) == null)
  and ((.excludes.caps // null) as $c | $c == null or ($c | all(. as $x | defcaps | index($x) == null)));
{
  defaultAction: .defaultAction,
  defaultErrnoRet: (.defaultErrnoRet // 1),
  architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  syscalls: [.syscalls[] | select(applies) | {names, action}
    + (if .args then {args} else {} end) + (if .errnoRet then {errnoRet} else {} end)]
}
