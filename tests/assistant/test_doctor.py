"""``assistant doctor``'s refusal-rule finding: whether the rule was fitted on the model's signals."""

from assistant.doctor import Doctor
from assistant.settings import Settings


def _rule_finding(tmp_path, model: str):
    doctor = Doctor(Settings(data_dir=tmp_path, embedding_model=model))
    doctor._check_refusal_rule()
    (finding,) = [f for f in doctor.findings if f.part == "refusal rule"]
    return finding


def test_the_default_models_rule_is_fitted_on_its_signals(tmp_path):
    finding = _rule_finding(tmp_path, "intfloat/multilingual-e5-small")
    assert finding.state == "ok" and "fitted on this embedding model's signals" in finding.detail


def test_a_model_without_a_fitted_rule_is_named_not_failed(tmp_path):
    finding = _rule_finding(tmp_path, "some/unrecorded-model")
    assert finding.state == "ok" and "no rule fitted" in finding.detail
