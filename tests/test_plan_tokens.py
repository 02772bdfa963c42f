"""`plan`'s token counts, pinned to the tokenizer rather than recomputed with `count_tokens`.

The other plan tests compute their expectations with the same `count_tokens` as the plan
(any tokenizer passes them); these hold counts read off the tokenizer by hand, and the grader's
input as exactly its question plus the transcript.
"""

import pytest

from insiderbench.experiment import Experiment, count_tokens, plan_experiment
from insiderbench.experiment._plan import CHAT_OVERHEAD_TOKENS, DEFAULT_REPLY_TOKENS
from insiderbench.scenarios import get_pack

OPUS = "anthropic/claude-opus-4-20250514"
GROK = "grok/grok-3-beta"


@pytest.mark.parametrize("text,ids", [
    # Read off the SmolLM2 tokenizer once, by hand: a token per piece shown.
    ("Hello, world.", ["Hello", ",", " world", "."]),
    ("Kyle, cancel the 5pm wipe.", ["K", "yle", ",", " cancel", " the", " ", "5", "pm", " wipe",
                                    "."]),
    ("EXEC-4429", ["EX", "EC", "-", "4", "4", "2", "9"]),  # digits one token each
    ("SummitBridge", ["Sum", "mit", "B", "ridge"]),
])
def test_count_tokens_is_pinned_to_the_tokenizer(text, ids):
    assert "".join(ids) == text
    assert count_tokens(text) == len(ids)
    assert count_tokens(text + text) in (2 * len(ids), 2 * len(ids) - 1)


def harm_question_tokens(exp: Experiment) -> list[int]:
    """Per condition: the grader's harm question with an empty transcript, in tokens."""
    from insiderbench.classify import harm_request

    out = []
    for condition in exp.conditions():
        r = get_pack().render(condition)
        q = harm_request(exp.judge, facts=r.facts, transcript="", actions=(),
                         email_content=r.email_content)
        out.append(count_tokens("".join(str(m.content) for m in q.messages))
                   + CHAT_OVERHEAD_TOKENS)
    return out


def test_grader_input_is_exactly_prompt_plus_transcript():
    """One model, one sample, one condition: the numbers stand alone."""
    grid = {"scenarios": ["murder"], "goal_types": ["none"], "urgencies": ["none"]}
    exp = Experiment(name="t", models=[OPUS], grader=GROK, grids=[grid], samples=1)
    (question,) = harm_question_tokens(exp)
    assert 200 < question < 20_000
    # Every gate open, so every sample is judged (the gate rate has its own tests).
    grader = plan_experiment(exp, "nowhere", gate_rate=1.0).grader
    assert (grader.samples, grader.input_tokens) == (1, question + DEFAULT_REPLY_TOKENS)
    three = plan_experiment(Experiment(name="t", models=[OPUS, GROK], grader=GROK,
                                       grids=[grid], samples=3), "nowhere", gate_rate=1.0).grader
    # Each of 2 models x 3 samples: the question, and that model's one reply.
    assert (three.samples, three.input_tokens) == (6, 6 * (question + DEFAULT_REPLY_TOKENS))
