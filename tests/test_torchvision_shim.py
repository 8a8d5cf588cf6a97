"""tools/torchvision_cpu_shim.py: torchvision imports, and the ops it stands in for do not pretend to work.

The shim (installed by ``make setup`` as a start-up hook) defines the schemas of ``torchvision::nms``
and ``torchvision::qnms`` only where torchvision's own C++ extension does not load beside CPU torch.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")


def test_import_initref_does_not_start_the_shim():
    """The hook is lazy: a fresh interpreter imports initref without importing torch or torchvision."""
    code = "import sys, initref; print('torch' in sys.modules, 'torchvision' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_nms_is_real_or_refuses():
    """With torchvision's extension loaded nms computes; with only the shim's schema it raises."""
    boxes = torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0], [2.0, 2.0, 3.0, 3.0]])
    scores = torch.tensor([0.9, 0.8, 0.7])
    if torchvision.extension._has_ops():
        assert torch.ops.torchvision.nms(boxes, scores, 0.5).tolist() == [0, 2]
    else:
        with pytest.raises(NotImplementedError):
            torch.ops.torchvision.nms(boxes, scores, 0.5)
