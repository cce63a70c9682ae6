// What HangarPackages needs from C: the system zlib (zlib1g-dev), to inflate .tar.gz and zip
// entries with a bound on the output, and renameat2(2), to move an extracted package into
// place without replacing anything (glibc >= 2.28 has it; its header hides it without _GNU_SOURCE).
#include <zlib.h>

#ifdef __linux__
int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);
#define HANGAR_RENAME_NOREPLACE 1
#endif
