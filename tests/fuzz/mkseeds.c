/*
 * mkseeds.c — write synthetic seed cores for the fuzz corpus (the real
 * ones are cut from scenario cores by tests/fuzz/seeds.sh).
 */
#include "config.h"

#include <stdio.h>

#include "fakecore.h"

static void put(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n)
		perror(path);
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	struct fc_spec s = { 0 };
	s.tid[0] = 100;
	s.rip[0] = 0x401000;
	s.tid[1] = 101;
	s.rip[1] = 0x10008;
	s.pid = 100;
	s.fname = "seed";
	s.auxv[0] = 6;
	s.auxv[1] = 4096;
	s.loads[0] = (struct fc_load){ 0x10000, 0x2000, 0x1000, 6, NULL };
	s.loads[1] = (struct fc_load){ 0x12000, 0x1000, 0x1000, 4, NULL };
	s.loads[2] = (struct fc_load){ 0x400000, 0x1000, 0, 5, NULL };
	s.loads[3] = (struct fc_load){ 0x7ffc0000, 0x4000, 0x4000, 6, NULL };
	s.nloads = 4;
	size_t n;
	uint8_t *img = fc_build(&s, &n);
	put(argv[1], "synthetic-two-threads", img, n);
	put(argv[1], "synthetic-cut", img, n / 2);
	free(img);
	return 0;
}
