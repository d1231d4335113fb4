/* Signal names and numbers as runc's command line takes them. */
#pragma once

#include "error.h"

/* "KILL", "SIGKILL", "kill", "9", "SIGRTMIN+3" -> number. */
int berth_signal_parse(const char *text, int *ret, struct berth_error *err);
/* "SIGKILL" for 9; NULL when unnamed. */
const char *berth_signal_name(int sig);
