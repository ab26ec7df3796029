"""The decision core imports without the face-analysis libraries (dependency direction: adapters depend
on the core, never the reverse), so an auditor's machine re-derives decisions without dlib or OpenCV,
and the verifier that runs attempts (``verification.service`` and its runner) never imports the
dlib/OpenCV adapter module, ``verification.analysis``."""

from __future__ import annotations

import subprocess
import sys

CORE = (
    "verification.analysis_request",
    "verification.attempt",
    "verification.baseline",
    "verification.challenges",
    "verification.decision",
    "verification.evidence",
    "verification.frame_analysis",
    "verification.matching",
    "verification.measures",
    "verification.passive",
    "verification.policy",
    "verification.quality",
    "verification.reasons",
    "verification.redecide",
    "verification.review",
    "verification.runner",
    "verification.service",
)


FACE_LIBRARIES = ("cv2", "dlib", "face_recognition", "face_recognition_models")


def import_core(*, blocked: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    """Import every core module in a fresh interpreter where ``blocked`` cannot be imported; it prints
    which of the adapter module and the face-analysis libraries got loaded anyway."""
    watched = ("verification.analysis", *FACE_LIBRARIES)
    program = (
        "import sys\n"
        f"for name in {blocked!r}:\n"
        "    sys.modules[name] = None  # any import of them now raises ImportError\n"
        f"for module in {CORE!r}:\n"
        "    __import__(module)\n"
        f"print(sorted(m for m in {watched!r} if sys.modules.get(m) is not None))\n"
    )
    return subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)


def test_the_decision_core_imports_without_dlib_or_opencv() -> None:
    done = import_core(blocked=FACE_LIBRARIES)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_blocked_import_really_is_blocked() -> None:
    """Guards the test above: with cv2 blocked the adapter module cannot import."""
    program = "import sys\nsys.modules['cv2'] = None\nimport verification.analysis\n"
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "cv2" in done.stderr


def test_the_decision_core_never_imports_the_analysis_adapter_module() -> None:
    """Even where dlib and OpenCV are installed, the core and the verifier load without the adapter."""
    done = import_core(blocked=())
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
