/* Declarations only (see include/fuzzer_driver.h); SwiftPM needs one source file. */
#include "fuzzer_driver.h"
