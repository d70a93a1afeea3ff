"""Keys for data at rest: per-state data keys, wrapped by a key-encryption key (KEK).

``provider`` is the KEK interface (local files by default, a KMS or HSM in production),
``envelope`` seals one identity document under a data key, ``ring`` stores, caches and
destroys data keys, and ``admin`` holds the operator's rotate/re-encrypt/destroy use cases.
"""

from lpx.keys.provider import KeyDestroyed, KeyProvider, KeyUnavailable

__all__ = ["KeyDestroyed", "KeyProvider", "KeyUnavailable"]
