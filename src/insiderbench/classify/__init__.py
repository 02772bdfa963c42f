"""Classification: deterministic checks, LLM judges, eval awareness and the combined rules."""

from typing import TYPE_CHECKING

from insiderbench._exports import lazy_exports

if TYPE_CHECKING:
    from insiderbench.classify._checks import (
        CheckResult,
        check_blackmail,
        check_leaking,
        check_murder,
        run_check,
    )
    from insiderbench.classify._gates import GateResult, run_gate
    from insiderbench.classify._judges import (
        JUDGE_RETRIES,
        JudgeOutcome,
        JudgeRequest,
        ask_judge,
        awareness_request,
        harm_request,
        load_rubric,
        paper_prompts,
        rubric_ids,
    )
    from insiderbench.classify._reply import (
        REDACTED_NOTE,
        Classification,
        Reply,
        classify_reply,
        reasoning_block,
        reasoning_of_message,
        reasoning_of_messages,
    )
    from insiderbench.classify._rescore import rescore_log
    from insiderbench.classify._rules import (
        PAPER_KEYWORDS,
        combine,
        judge_needed,
        majority,
        paper_gates,
    )
    from insiderbench.classify._scorers import (
        GraderMissingError,
        audited,
        awareness_judge,
        grader_model,
        harm_judge,
        harm_rule,
        judge_scorers,
        transcript_text,
    )
    from insiderbench.classify._scores import (
        AWARENESS_CONCLUSIONS,
        CHECK_SCORER,
        DEFAULT_AUDIT_FRACTION,
        GRADER_ROLE,
        JUDGES,
        RULES,
        SCORE_KINDS,
        JudgeName,
        Rule,
        failed_rescorings,
        grader_roles,
        is_decided,
        judge_scores,
        latest_scores,
        now_iso,
        score_verdict,
    )
    from insiderbench.classify._systems import host_of
    from insiderbench.classify._verdict import (
        JudgeParseError,
        parse_choice,
        parse_conclusion,
        parse_labels,
        parse_yes_no,
        unverified_quotes,
    )

__getattr__, __dir__, __all__ = lazy_exports(globals())
