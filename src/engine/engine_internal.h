/* Shared between the engine's files; not part of its API. */
#pragma once

#include "engine.h"

/* Publish an image event: id is the image ID (or the reference, for pull),
 * name the reference it concerns (may be NULL). */
void engine_image_event(struct berth_engine *e, const char *action, const char *id, const char *name);
