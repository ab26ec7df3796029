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


def test_the_decision_core_imports_without_dlib_or_opencv() -> None:
    program = (
        "import sys\n"
        "for name in ('cv2', 'dlib', 'face_recognition', 'face_recognition_models'):\n"
        "    sys.modules[name] = None  # any import of them now raises ImportError\n"
        f"for module in {CORE!r}:\n"
        "    __import__(module)\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_the_blocked_import_really_is_blocked() -> None:
    """Guards the test above: with cv2 blocked the adapter module cannot import."""
    program = "import sys\nsys.modules['cv2'] = None\nimport verification.analysis\n"
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "cv2" in done.stderr


def test_the_decision_core_never_imports_the_analysis_adapter_module() -> None:
    """Even where dlib and OpenCV are installed, the core and the verifier load without the adapter."""
    program = (
        "import sys\n"
        f"for module in {CORE!r}:\n"
        "    __import__(module)\n"
        "print(sorted(m for m in ('verification.analysis', 'cv2', 'dlib') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
