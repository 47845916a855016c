"""testing/support.py imports load_dynamic at module level; only API-mode tests call it."""


def load_dynamic(name, path, loader=None):
    raise NotImplementedError("rffi has no API mode: cannot load %r" % (path,))
