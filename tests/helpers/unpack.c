/* berth-test-unpack BLOB DIR [--apply]: unpack one layer blob (gzip, zstd or
 * plain tar) into DIR with berth's unpacker and print its diff_id.  For
 * tests and for bench/pull.sh's unpack throughput. */
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "unpack.h"

int main(int argc, char **argv)
{
	struct berth_error err = { 0 };
	/* As berthd: pax names are UTF-8, libarchive converts to the locale. */
	setlocale(LC_CTYPE, "C.UTF-8");
	if (argc < 3) {
		fprintf(stderr, "usage: %s BLOB DIR [--apply]\n", argv[0]);
		return 2;
	}
	_cleanup_close_ int blob = open(argv[1], O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int dir = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (blob < 0 || dir < 0) {
		perror(blob < 0 ? argv[1] : argv[2]);
		return 1;
	}
	struct berth_layer_source src = berth_layer_source_fd(blob);
	struct berth_unpack_options o = {
		.whiteout = argc > 3 && strcmp(argv[3], "--apply") == 0 ? BERTH_WHITEOUT_APPLY : BERTH_WHITEOUT_OVERLAY,
	};
	char diff_id[BERTH_DIGEST_MAX];
	if (berth_unpack_layer(&src, dir, &o, diff_id, NULL, &err) < 0) {
		fprintf(stderr, "unpack %s: %s\n", argv[1], err.msg);
		return 1;
	}
	printf("%s\n", diff_id);
	return 0;
}
