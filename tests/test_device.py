"""Where the models run: the embedding device chosen from what torch sees, and LLM layers offloaded only where the
llama.cpp build can (the GPU itself is not on this machine: these state the choice, not its speed)."""

from __future__ import annotations

import argparse

import pytest
import torch

from rag import llama_lib
from rag.config import Settings
from rag.embed import torch_device
from rag.errors import ConfigError
from rag.llm import offloaded_layers
from rag.options import common_options, settings_from


def test_auto_embeds_on_cuda_when_torch_sees_it_and_on_the_cpu_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert torch_device("auto") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert torch_device("auto") == "cuda"
    assert torch_device("cuda:1") == "cuda:1"


@pytest.mark.parametrize("device", ["cuda", "cuda:0"])
def test_a_cuda_device_torch_cannot_see_is_refused_by_name(monkeypatch: pytest.MonkeyPatch, device: str) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match=f"--device {device}: torch sees no such CUDA device"):
        torch_device(device)


def test_a_device_index_past_the_last_gpu_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ConfigError, match="cuda:1"):
        torch_device("cuda:1")


def test_an_unknown_device_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="'tpu'"):
        torch_device("tpu")


def test_device_cpu_also_keeps_the_llm_layers_off_the_gpu() -> None:
    parser = argparse.ArgumentParser(parents=[common_options()])
    on_cpu = settings_from(parser.parse_args(["--device", "cpu"]))
    assert (on_cpu.embed_device, on_cpu.llm.gpu_layers) == ("cpu", 0)
    default = settings_from(parser.parse_args([]))
    assert (default.embed_device, default.llm.gpu_layers) == ("auto", None)
    from_env = Settings.from_env({"RAG_DEVICE": "cuda:0"})
    assert (from_env.embed_device, from_env.llm.gpu_layers) == ("cuda:0", None)


def test_llm_layers_go_to_the_gpu_only_where_the_build_can_offload(monkeypatch: pytest.MonkeyPatch) -> None:
    llama_lib.select()  # the build is chosen before llama_cpp is imported
    import llama_cpp

    assert offloaded_layers(12) == 12  # a setting wins
    monkeypatch.setattr(llama_cpp, "llama_supports_gpu_offload", lambda: False)  # the CPU builds made here
    assert offloaded_layers(None) == 0
    monkeypatch.setattr(llama_cpp, "llama_supports_gpu_offload", lambda: True)  # a CUDA build
    assert offloaded_layers(None) == -1
