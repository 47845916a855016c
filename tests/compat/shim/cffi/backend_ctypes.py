"""The suite compares its backend with cffi's ctypes backend to skip ctypes-only cases;
this class is never the backend here, so every such test runs."""


class CTypesBackend:
    pass
