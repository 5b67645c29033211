package keys

import "flag"

var update = flag.Bool("update", false, "print golden values instead of checking them")
