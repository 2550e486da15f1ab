"""Use cases, one function each. Services flush; the view or command commits once."""
