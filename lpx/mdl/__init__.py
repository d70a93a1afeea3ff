"""Mobile driver's license (ISO/IEC 18013-5) and private online age checks (18013-7 style).

The state issues single-use mdocs (:mod:`~lpx.mdl.issuer`), the holder's wallet discloses
only what is asked (:mod:`~lpx.mdl.wallet`), and a relying party verifies offline against
the hub's trust list and the states' status lists (:mod:`~lpx.mdl.verifier`). See
``docs/mdl.md`` for what each party learns.
"""

from lpx.mdl.errors import VerificationError
from lpx.mdl.issuer import DOCTYPE, NAMESPACE, Person, issue_batch
from lpx.mdl.pki import FileIssuerKeys, IssuerKeys, make_state_pki
from lpx.mdl.status import (
    StatusList,
    StatusLists,
    StatusRegistry,
    build_hub_status_list,
    build_status_list,
)
from lpx.mdl.transcript import web_session_transcript
from lpx.mdl.trust import TrustStore, build_trust_list
from lpx.mdl.verifier import VerifiedDocument, verify
from lpx.mdl.wallet import Wallet, WalletError

__all__ = [
    "DOCTYPE",
    "NAMESPACE",
    "FileIssuerKeys",
    "IssuerKeys",
    "Person",
    "StatusList",
    "StatusLists",
    "StatusRegistry",
    "TrustStore",
    "VerificationError",
    "VerifiedDocument",
    "Wallet",
    "WalletError",
    "build_hub_status_list",
    "build_status_list",
    "build_trust_list",
    "issue_batch",
    "make_state_pki",
    "verify",
    "web_session_transcript",
]
