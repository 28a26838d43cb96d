"""Where the encoder runs (issue 9: "on GPUs when the cluster has them, in the precision the
local engine would choose there"). This machine has no GPU: torch's CUDA answers are
monkeypatched, and the GPU loader is replaced by a recorder, so these tests run anywhere."""

import numpy as np
import pytest

from ideamap.embed import device as device_mod
from ideamap.embed import encoder as encoder_mod
from ideamap.errors import EncoderUnavailableError


@pytest.fixture
def env(monkeypatch):
    for name in ("IDEAMAP_EMBED_DEVICE", "IDEAMAP_EMBED_PRECISION", "IDEAMAP_PRECISION", "IDEAMAP_BACKEND",
                 "CUDA_VISIBLE_DEVICES"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _fake_cuda(monkeypatch, available: bool, driver: bool = True):
    import torch

    monkeypatch.setattr(device_mod, "gpu_driver_present", lambda: driver)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: available)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1 if available else 0)


@pytest.mark.parametrize("available, expected", [(True, "cuda"), (False, "cpu")])
def test_auto_takes_cuda_only_when_torch_sees_it(env, available, expected):
    _fake_cuda(env, available)
    assert device_mod.choose_device() == expected


def test_auto_without_a_driver_is_cpu_without_asking_torch(env):
    import torch

    env.setattr(device_mod, "gpu_driver_present", lambda: False)

    def boom():
        raise AssertionError("torch.cuda was asked although no GPU driver is present")

    env.setattr(torch.cuda, "is_available", boom)
    assert device_mod.choose_device() == "cpu"


def test_hidden_gpus_are_no_driver(env):
    env.setattr(device_mod, "_DRIVER_MARKS", ("/",))  # a path that exists: a driver is "there"
    assert device_mod.gpu_driver_present()
    env.setenv("CUDA_VISIBLE_DEVICES", "")
    assert not device_mod.gpu_driver_present()


def test_env_override(env):
    _fake_cuda(env, True)
    env.setenv("IDEAMAP_EMBED_DEVICE", "cpu")
    assert device_mod.choose_device() == "cpu"
    env.setenv("IDEAMAP_EMBED_DEVICE", "CUDA")
    assert device_mod.choose_device() == "cuda"
    env.setenv("IDEAMAP_EMBED_DEVICE", "auto")
    assert device_mod.choose_device() == "cuda"


def test_forced_cuda_without_cuda_is_a_clear_error(env):
    _fake_cuda(env, False, driver=False)
    env.setenv("IDEAMAP_EMBED_DEVICE", "cuda")
    with pytest.raises(EncoderUnavailableError) as info:
        device_mod.choose_device()
    message = str(info.value)
    assert "IDEAMAP_EMBED_DEVICE=cuda" in message and "CPU" in message
    assert device_mod.why_no_cuda() in message  # names what is missing, e.g. a CPU-only torch build
    with pytest.raises(EncoderUnavailableError):
        encoder_mod.load_encoder(device="cuda")  # no silent CPU fallback through the loader either


def test_why_no_cuda_names_a_cpu_only_torch(env):
    import torch

    env.setattr(torch.version, "cuda", None)
    env.setattr(torch.version, "hip", None, raising=False)
    assert "CPU-only build" in device_mod.why_no_cuda()


def test_gpu_precision_is_fp16_unless_forced(env):
    assert device_mod.gpu_precision() == "fp16"
    env.setenv("IDEAMAP_EMBED_PRECISION", "fp32")
    assert device_mod.gpu_precision() == "fp32"
    env.setenv("IDEAMAP_EMBED_PRECISION", "nonsense")
    assert device_mod.gpu_precision() == "fp16"


class _Recorder:
    """Stands in for encoder._load: records what would be loaded."""

    def __init__(self):
        self.calls = []

    def __call__(self, model_id, backend, precision, device):
        self.calls.append((backend, precision, device))
        return (backend, precision, device)


def test_cuda_loads_torch_fp16_on_the_gpu_with_its_own_cache_entry(env):
    _fake_cuda(env, True)
    recorder = _Recorder()
    env.setattr(encoder_mod, "_load", recorder)
    env.setattr(encoder_mod, "_LOADED", {})
    assert encoder_mod.load_encoder() == ("torch", "fp16", "cuda")
    assert encoder_mod.load_encoder(device="cpu")[2] == "cpu"
    assert len(encoder_mod._LOADED) == 2  # a CPU and a GPU copy are two cache entries
    with pytest.raises(ValueError, match="CPU only"):
        encoder_mod.load_encoder(backend="onnx", device="cuda")
    # asking for ONNX with the device left to auto means the CPU (ONNX runs there)
    assert encoder_mod.load_encoder(backend="onnx")[2] == "cpu"


def test_gpu_encoder_names_device_and_precision(env):
    """What _load makes of a cuda load: version and cache key carry 'torch-fp16-cuda', so the
    run record says how vectors were made and VectorCache never mixes them with CPU ones."""
    from ideamap.embed import backends

    class FakeGpuBackend:
        def __init__(self, model, precision):
            self.name = f"torch-{precision}-cuda"

    env.setattr(backends, "load_sentence_transformer", lambda path, device="cpu": ("model", device))
    env.setattr(backends, "TorchGpuBackend", FakeGpuBackend)
    enc = encoder_mod._load(encoder_mod.DEFAULT_MODEL_ID, "torch", "fp16", "cuda")
    assert enc.precision == "torch-fp16-cuda" and "backend torch-fp16-cuda" in enc.version
    assert enc.cache_key == f"{encoder_mod.DEFAULT_MODEL_ID}|torch-fp16-cuda"


def test_cache_keys_keep_gpu_vectors_apart(tmp_path):
    from ideamap.embed import VectorCache, embed_texts

    class Fake:
        model_id, dim = "m", 2

        def __init__(self, cache_key, value):
            self.cache_key, self.value, self.calls = cache_key, value, 0

        def encode(self, texts, progress=None, cancel=None):
            self.calls += 1
            return np.tile(np.array([self.value, 0.0], np.float32), (len(texts), 1))

    cache = VectorCache(tmp_path / "v.sqlite")
    cpu, gpu = Fake("m", 1.0), Fake("m|torch-fp16-cuda", -1.0)
    embed_texts(cpu, ["a"], cache=cache)
    assert embed_texts(gpu, ["a"], cache=cache)[0, 0] == -1.0 and gpu.calls == 1  # not the CPU vector
    assert embed_texts(cpu, ["a"], cache=cache)[0, 0] == 1.0 and cpu.calls == 1  # CPU entry still hits


@pytest.mark.slow
def test_on_cpu_the_encoder_is_as_before(env):
    """No GPU here: auto gives the same backend, version and cache key as before devices existed."""
    env.setattr(device_mod, "gpu_driver_present", lambda: False)
    env.setattr(encoder_mod, "_LOADED", {})
    enc = encoder_mod.load_encoder()
    from ideamap.embed.backends import choose_precision

    if encoder_mod._default_backend() == "onnx":
        assert enc.precision == "onnx-fp32"
    else:
        assert enc.precision == f"torch-{choose_precision()}"
    assert enc.version == f"{encoder_mod.model_version(enc.model_id)}; backend {enc.precision}"
    assert enc.cache_key == enc.model_id
    assert not hasattr(enc.backend, "device") or str(enc.backend.device) == "cpu"


@pytest.mark.parametrize("gpu_ids, expected", [([0], "cuda"), ([], "cpu")])
def test_ray_actor_asks_for_cuda_only_with_an_assigned_gpu(env, gpu_ids, expected):
    ray = pytest.importorskip("ray", reason="Ray not installed (pip install 'ideamap[cluster]')")
    from ideamap.engines import ray_engine

    asked = []

    class FakeEncoder:
        model_id, version, dim = "m", "v", 4

    def fake_load(model_id, *, backend=None, device=None):
        asked.append(device)
        return FakeEncoder()

    env.setattr(ray, "get_gpu_ids", lambda: gpu_ids)
    env.setattr(encoder_mod, "load_encoder", fake_load)
    actor = ray_engine.EmbedActor("m")
    assert asked == [expected] and actor.device == expected


@pytest.mark.slow
@pytest.mark.parametrize("precision, floor", [("fp32", 0.99999), ("fp16", 0.999)])
def test_gpu_backend_embeds_like_the_model(precision, floor):
    """TorchGpuBackend's own loop (tokenise, move to the model's device, transformer in
    ``precision``, fp32 pooling) run on the CPU here, the only device this machine has: its
    vectors must be the model's (fp32) to within rounding. fp16 matmuls run on the CPU too."""
    from ideamap.embed import backends
    from ideamap.embed.encoder import DEFAULT_MODEL_ID, model_path

    texts = ["The borrow checker rejects overlapping mutable references.",
             "Photosynthesis converts light into chemical energy.", "ok"]
    path = model_path(DEFAULT_MODEL_ID)
    reference = backends.load_sentence_transformer(path).encode(texts, normalize_embeddings=True)
    backend = backends.TorchGpuBackend(backends.load_sentence_transformer(path), precision)
    assert backend.name == f"torch-{precision}-cuda"
    vecs = backend.embed(texts, batch_size=2)
    assert vecs.dtype == np.float32 and vecs.shape == reference.shape
    assert float(np.sum(vecs * reference, axis=1).min()) >= floor
