# Type stubs of the rffi package. Grow them together with rffi._rffi.

__version__: str
