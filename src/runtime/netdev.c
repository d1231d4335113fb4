#include "netdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"

#define MAX_ADDRS 32

struct request {
	struct nlmsghdr h;
	union {
		struct ifinfomsg link;
		struct ifaddrmsg addr;
	};
	char attrs[512];
};

struct saved_addr {
	unsigned char family, prefixlen;
	unsigned char local[16], address[16];
	size_t len;
	bool has_local;
};

static void add_attr(struct request *req, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *) ((char *) req + NLMSG_ALIGN(req->h.nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short) RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	req->h.nlmsg_len = NLMSG_ALIGN(req->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Send one request and read its acknowledgement; returns the kernel's -errno. */
static int talk(int sock, struct request *req)
{
	char buf[4096];
	ssize_t n;

	req->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (send(sock, req, req->h.nlmsg_len, 0) < 0)
		return -errno;
	while ((n = recv(sock, buf, sizeof(buf), 0)) > 0) {
		for (struct nlmsghdr *h = (struct nlmsghdr *) buf; NLMSG_OK(h, (unsigned) n); h = NLMSG_NEXT(h, n))
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *) NLMSG_DATA(h))->error;
	}
	return n < 0 ? -errno : -EIO;
}

static int open_rtnl(void)
{
	int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (sock < 0)
		return -errno;
	if (bind(sock, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
		int e = errno;
		close(sock);
		return -e;
	}
	return sock;
}

/* The permanent, global addresses of an interface: moving it to another
 * namespace drops them, and the spec asks that they be kept. */
static int save_addrs(int sock, int ifindex, struct saved_addr *out, size_t *n)
{
	struct request req = { .h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)), .nlmsg_type = RTM_GETADDR,
				      .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP } };
	char buf[16384];
	ssize_t len;

	*n = 0;
	req.addr.ifa_family = AF_UNSPEC;
	if (send(sock, &req, req.h.nlmsg_len, 0) < 0)
		return -errno;
	while ((len = recv(sock, buf, sizeof(buf), 0)) > 0) {
		for (struct nlmsghdr *h = (struct nlmsghdr *) buf; NLMSG_OK(h, (unsigned) len); h = NLMSG_NEXT(h, len)) {
			struct ifaddrmsg *ifa = NLMSG_DATA(h);
			struct saved_addr a = { 0 };
			uint32_t flags;
			int alen;

			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *) NLMSG_DATA(h))->error;
			if (h->nlmsg_type != RTM_NEWADDR || (int) ifa->ifa_index != ifindex || ifa->ifa_scope != RT_SCOPE_UNIVERSE)
				continue;
			flags = ifa->ifa_flags;
			alen = (int) IFA_PAYLOAD(h);
			for (struct rtattr *rta = IFA_RTA(ifa); RTA_OK(rta, alen); rta = RTA_NEXT(rta, alen)) {
				size_t l = RTA_PAYLOAD(rta);
				if (rta->rta_type == IFA_FLAGS && l == 4)
					memcpy(&flags, RTA_DATA(rta), 4);
				else if (rta->rta_type == IFA_ADDRESS && l <= 16)
					memcpy(a.address, RTA_DATA(rta), a.len = l);
				else if (rta->rta_type == IFA_LOCAL && l <= 16) {
					memcpy(a.local, RTA_DATA(rta), l);
					a.has_local = true;
				}
			}
			if (!(flags & IFA_F_PERMANENT) || a.len == 0 || *n == MAX_ADDRS)
				continue;
			a.family = ifa->ifa_family;
			a.prefixlen = ifa->ifa_prefixlen;
			out[(*n)++] = a;
		}
	}
	return len < 0 ? -errno : 0;
}

/* A netlink socket that lives in the container's network namespace. */
static int rtnl_in(int netns, struct berth_error *err)
{
	_cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int sock;

	if (self < 0)
		return berth_error_sys(err, errno, "linux.netDevices: open our network namespace");
	if (setns(netns, CLONE_NEWNET) < 0)
		return berth_error_sys(err, errno, "linux.netDevices: enter the container's network namespace");
	sock = open_rtnl();
	if (setns(self, CLONE_NEWNET) < 0)
		return berth_error_sys(err, errno, "linux.netDevices: return to our network namespace");
	if (sock < 0)
		return berth_error_sys(err, -sock, "linux.netDevices: netlink socket");
	return sock;
}

static int move_one(int host_sock, int netns, const char *host, const char *name, struct berth_error *err)
{
	struct saved_addr addrs[MAX_ADDRS];
	struct request req;
	_cleanup_close_ int inside = -1;
	size_t n_addrs;
	int ifindex = (int) if_nametoindex(host), r;
	uint32_t fd = (uint32_t) netns;

	if (ifindex == 0)
		return berth_error_set(err, ENODEV, "linux.netDevices.%s: no such interface on the host", host);
	if ((r = save_addrs(host_sock, ifindex, addrs, &n_addrs)) < 0)
		return berth_error_sys(err, -r, "linux.netDevices.%s: read its addresses", host);
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req.h.nlmsg_type = RTM_NEWLINK;
	req.link.ifi_index = ifindex;
	add_attr(&req, IFLA_NET_NS_FD, &fd, sizeof(fd));
	/* The new name travels with the move: renamed as it arrives, and a
	 * "%d" template lets the kernel pick a free one. */
	add_attr(&req, IFLA_IFNAME, name, strlen(name) + 1);
	if ((r = talk(host_sock, &req)) < 0)
		return berth_error_sys(err, -r, "linux.netDevices.%s: move it into the container as %s", host, name);
	inside = rtnl_in(netns, err);
	if (inside < 0)
		return inside;
	/* The kernel keeps the ifindex across namespaces when it is free, as it
	 * is in a new namespace. */
	for (size_t i = 0; i < n_addrs; i++) {
		memset(&req, 0, sizeof(req));
		req.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
		req.h.nlmsg_type = RTM_NEWADDR;
		req.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
		req.addr.ifa_family = addrs[i].family;
		req.addr.ifa_prefixlen = addrs[i].prefixlen;
		req.addr.ifa_index = (unsigned) ifindex;
		req.addr.ifa_scope = RT_SCOPE_UNIVERSE;
		add_attr(&req, IFA_LOCAL, addrs[i].has_local ? addrs[i].local : addrs[i].address, addrs[i].len);
		add_attr(&req, IFA_ADDRESS, addrs[i].address, addrs[i].len);
		if ((r = talk(inside, &req)) < 0 && r != -EEXIST)
			return berth_error_sys(err, -r, "linux.netDevices.%s: restore an address inside", host);
	}
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req.h.nlmsg_type = RTM_NEWLINK;
	req.link.ifi_index = ifindex;
	req.link.ifi_flags = IFF_UP;
	req.link.ifi_change = IFF_UP;
	if ((r = talk(inside, &req)) < 0)
		return berth_error_sys(err, -r, "linux.netDevices.%s: set it up inside the container", host);
	return 0;
}

int berth_netdevices_move(const struct berth_spec *spec, pid_t pid, struct berth_error *err)
{
	_cleanup_close_ int sock = -1, netns = -1;
	char path[64];
	const char *host;
	json_t *v;
	int r;

	if (spec->net_devices == NULL || json_object_size(spec->net_devices) == 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int) pid);
	netns = open(path, O_RDONLY | O_CLOEXEC);
	if (netns < 0)
		return berth_error_sys(err, errno, "linux.netDevices: open %s", path);
	sock = open_rtnl();
	if (sock < 0)
		return berth_error_sys(err, -sock, "linux.netDevices: netlink socket");
	json_object_foreach (spec->net_devices, host, v) {
		const char *name = json_string_value(json_object_get(v, "name"));
		if ((r = move_one(sock, netns, host, name ? name : host, err)) < 0)
			return r;
	}
	return 0;
}
