"""Settings from QA_* environment variables: values that parse, and one clear error for those that do not."""

from __future__ import annotations

import pytest

from qa.config import AnswerWeights, Settings, gradio_port_from_env
from qa.errors import QAError, SettingsError


def test_environment_variables_set_their_settings() -> None:
    environ = {"QA_K": "7", "QA_LOCK_TIMEOUT": "2.5", "QA_BACKEND": "torch", "QA_OTHER": "x"}
    settings = Settings.from_env(environ)
    assert (settings.k, settings.lock_timeout, settings.backend) == (7, 2.5, "torch")
    assert Settings.from_env({}) == Settings()


@pytest.mark.parametrize(
    ("value", "flag"), [("0", False), ("off", False), ("No", False), ("1", True), ("true", True)]
)
def test_a_flag_is_read_as_people_write_it(value: str, flag: bool) -> None:
    assert Settings.from_env({"QA_SENTENCE_VECTORS": value}).sentence_vectors is flag


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("QA_K", "abc", "QA_K='abc' is not a whole number; fix it or unset it (default 5)"),
        ("QA_LOCK_TIMEOUT", "soon", "QA_LOCK_TIMEOUT='soon' is not a number; fix it or unset it"),
        ("QA_K", "0", "QA_K='0': k must be positive, not 0; fix it or unset it (default 5)"),
        ("QA_BACKEND", "gpu", "QA_BACKEND='gpu': backend must be 'auto', 'torch' or 'onnx', not 'gpu';"),
        ("QA_SENTENCE_VECTORS", "maybe", "QA_SENTENCE_VECTORS='maybe' is not 1 or 0; fix it or unset it"),
    ],
)
def test_a_value_its_setting_cannot_take_names_the_variable(variable: str, value: str, says: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"QA_CHUNK_TOKENS": "128", variable: value})
    assert str(raised.value).startswith(says)
    assert isinstance(raised.value, QAError) and isinstance(raised.value, ValueError)


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        ({"GRADIO_SERVER_PORT": "abc"},
         "GRADIO_SERVER_PORT='abc' is not a whole number; fix it or unset it (default 7860)"),
        ({"GRADIO_SERVER_PORT": "70000"}, "GRADIO_SERVER_PORT='70000': must be between 1 and 65535;"),
        ({"GRADIO_NUM_PORTS": "0"}, "GRADIO_NUM_PORTS='0': must be at least 1; fix it or unset it"),
    ],
)
def test_a_gradio_number_that_gradio_cannot_read_names_the_variable(environ: dict, says: str) -> None:
    with pytest.raises(SettingsError) as raised:
        gradio_port_from_env(environ)
    assert str(raised.value).startswith(says)


def test_the_chat_port_comes_from_gradio_server_port() -> None:
    assert gradio_port_from_env({}) == 7860
    assert gradio_port_from_env({"GRADIO_SERVER_PORT": " 8081 ", "GRADIO_NUM_PORTS": "5"}) == 8081


@pytest.mark.parametrize("field", ["outlet_passages", "bridge_chunks"])
def test_a_count_of_passages_added_to_an_answer_may_be_none_but_not_negative(field: str) -> None:
    assert getattr(AnswerWeights(**{field: 0}), field) == 0
    with pytest.raises(ValueError, match=f"^{field} must not be negative, not -1$"):
        AnswerWeights(**{field: -1})
