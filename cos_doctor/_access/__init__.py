"""Access decisions: the engine (ACL, policy, referer, CORS) and investigate(), which replays it."""
