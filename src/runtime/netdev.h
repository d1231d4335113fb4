/* linux.netDevices: host interfaces moved into the container's network
 * namespace, renamed as asked, keeping their permanent global addresses,
 * and set up (config-linux.md "Network Devices"). */
#pragma once

#include <sys/types.h>

#include "error.h"
#include "spec.h"

/* Move every listed device into the network namespace of pid. */
int berth_netdevices_move(const struct berth_spec *spec, pid_t pid, struct berth_error *err);
