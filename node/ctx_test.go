package node

import "context"

func bgCtx() context.Context { return context.Background() }
