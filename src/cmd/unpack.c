#include "cmd.h"
int cmd_unpack(int argc, char **argv) { (void)argc; (void)argv; return EXIT_USAGE; }
