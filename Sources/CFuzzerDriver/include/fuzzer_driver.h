#ifndef CFUZZER_DRIVER_H
#define CFUZZER_DRIVER_H
#include <stddef.h>
#include <stdint.h>

/* libFuzzer's driver (clang's libclang_rt.fuzzer, linked by -sanitize=fuzzer): runs the
   fuzzing loop with `callback` as the test function. Only referenced in FUZZING builds. */
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
