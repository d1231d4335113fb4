/* Shared between the engine's files; not part of its API. */
#pragma once

#include "engine.h"

/* Publish an image event as dockerd does: actor is the image ID (the
 * reference, for pull), name the Actor's "name" attribute (may be NULL);
 * the labels of image (an image ID, or NULL) are attributes too. */
void engine_image_event(struct berth_engine *e, const char *action, const char *actor, const char *name,
			const char *image);
