"""The hook: install() / uninstall() patch the SDK; what happens to one failure it catches."""
