"""The plugin layer: contract, registry, HTTP and signing helpers, backends; no dsr imports."""
