"""The state's side of LPX: the only code that loads network keys. The hub never imports it."""

from lpx.client.keys import InsecureKeyFileError, KeyFileError, NetworkKeys
from lpx.client.ssn import decoy_value, has_ssn, ssn_tokens_for, tokenize

__all__ = [
    "InsecureKeyFileError",
    "KeyFileError",
    "NetworkKeys",
    "decoy_value",
    "has_ssn",
    "ssn_tokens_for",
    "tokenize",
]
