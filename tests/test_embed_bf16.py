"""The bf16 encoder path (issue 8, point 4): chosen only where the CPU computes bf16 natively,
overridable, and giving the same vectors as fp32 to within rounding on real paragraphs."""

import re

import numpy as np
import pytest

from ideamap.embed import backends, encoder as encoder_mod


@pytest.fixture
def no_env(monkeypatch):
    for name in ("IDEAMAP_EMBED_PRECISION", "IDEAMAP_PRECISION", "IDEAMAP_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("flags, expected", [
    ({"fpu", "avx2"}, "fp32"),
    ({"avx2", "avx512f", "avx512bw"}, "fp32"),  # AVX-512 without bf16 emulates it: slower
    ({"avx512f", "avx512_bf16"}, "bf16"),
    ({"avx512f", "amx_tile", "amx_bf16"}, "bf16"),
])
def test_bf16_only_where_native(no_env, flags, expected):
    no_env.setattr(backends, "cpu_flags", lambda: flags)
    assert backends.choose_precision() == expected


def test_without_cpuinfo_torch_capability_decides(no_env):
    import torch

    no_env.setattr(backends, "cpu_flags", lambda: None)
    no_env.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX512")
    assert backends.choose_precision() == "fp32"
    no_env.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AMX")
    assert backends.choose_precision() == "bf16"


def test_override(no_env):
    no_env.setattr(backends, "cpu_flags", lambda: {"amx_bf16"})
    no_env.setenv("IDEAMAP_EMBED_PRECISION", "fp32")
    assert backends.choose_precision() == "fp32"
    assert encoder_mod._default_backend() == "onnx"
    no_env.setattr(backends, "cpu_flags", lambda: {"avx2"})
    no_env.setenv("IDEAMAP_EMBED_PRECISION", "bf16")
    assert backends.choose_precision() == "bf16" and encoder_mod._default_backend() == "torch"
    no_env.setenv("IDEAMAP_EMBED_PRECISION", "auto")
    assert backends.choose_precision() == "fp32"


def _real_paragraphs(corpora, n=12):
    notes = sorted((corpora / "meeting_notes").glob("*.md"))[:3]
    out = []
    for path in notes:
        for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8", errors="replace")):
            text = " ".join(block.split())
            if len(text) >= 80:
                out.append(text)
    out = out[:n]
    out.append(" ".join(out))  # one long paragraph, so the windowed path runs in bf16 too
    return out


@pytest.mark.slow
def test_bf16_vectors_match_fp32(no_env, corpora):
    texts = _real_paragraphs(corpora)
    no_env.setenv("IDEAMAP_EMBED_PRECISION", "fp32")
    fp32 = encoder_mod.load_encoder(backend="torch")
    no_env.setenv("IDEAMAP_EMBED_PRECISION", "bf16")
    bf16 = encoder_mod.load_encoder(backend="torch")
    assert fp32.precision == "torch-fp32" and bf16.precision == "torch-bf16"
    assert "backend torch-bf16" in bf16.version
    assert len(bf16.windows(texts[-1:])) > 1
    a, b = fp32.encode(texts), bf16.encode(texts)
    assert b.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    cos = np.sum(a * b, axis=1)
    assert cos.min() >= 0.999, cos
