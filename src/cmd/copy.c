#include "cmd.h"
int cmd_copy(int argc, char **argv) { (void)argc; (void)argv; return EXIT_USAGE; }
