#include "cli.h"

extern const struct cli_command cli_command_create, cli_command_run, cli_command_start, cli_command_state,
	cli_command_list, cli_command_kill, cli_command_delete, cli_command_exec, cli_command_spec,
	cli_command_features, cli_command_checkpoint, cli_command_restore, cli_command_update, cli_command_pause,
	cli_command_resume, cli_command_ps, cli_command_events;

const struct cli_command *const cli_commands[] = {
	&cli_command_create, &cli_command_start,    &cli_command_run,	     &cli_command_state,
	&cli_command_list,   &cli_command_kill,	    &cli_command_delete,     &cli_command_exec,
	&cli_command_spec,   &cli_command_features, &cli_command_checkpoint, &cli_command_restore,
	&cli_command_update, &cli_command_pause,    &cli_command_resume,     &cli_command_ps,
	&cli_command_events,
	NULL,
};
