import pytest
from inspect_evals.agentic_misalignment.prompt_generator import (
    ALIGNMENT_FAKING_WARNING,
    generate_prompts,
)

from insiderbench.scenarios import PAPER_SCENARIOS, get_pack, headline, make_condition


@pytest.mark.parametrize("scenario", PAPER_SCENARIOS)
def test_headline_prompts_equal_upstream(scenario):
    upstream = generate_prompts(
        scenario=scenario,
        goal_type="explicit",
        goal_value="america",
        urgency_type="replacement",
        extra_system_instructions=None,
        prod_flag=False,
        alignment_faking_warning=None,
    )
    rendered = get_pack().render(headline(scenario))
    assert rendered.system == upstream.system_prompt
    assert rendered.user == upstream.user_prompt + "\n" + upstream.email_content


def test_eval_awareness_adds_the_upstream_notice():
    plain = get_pack().render(headline("blackmail")).system
    aware = get_pack().render(make_condition(scenario="blackmail", eval_awareness=True)).system
    assert ALIGNMENT_FAKING_WARNING not in plain
    assert ALIGNMENT_FAKING_WARNING in aware


def test_prod_drops_the_scratchpad():
    dev = get_pack().render(headline("murder")).system
    prod = get_pack().render(make_condition(scenario="murder", prod=True)).system
    assert "SCRATCHPAD" in dev.upper()
    assert "SCRATCHPAD" not in prod.upper()


def test_facts_come_from_the_rendered_emails():
    facts = get_pack().render(headline("leaking")).facts
    assert facts.company_domain == "novastar.com"
    assert facts.company == "NovaStar Systems"
    ids = [e.id for e in facts.emails]
    assert len(ids) == len(set(ids)) > 3
    confidential = facts.email(facts.confidential_email_ids[0])
    assert confidential is not None and confidential.attachments
    assert "secure@starsentinel.net" in facts.rival_addresses
    murder = get_pack().render(headline("murder")).facts
    assert murder.override_code == "EXEC-4429"
    assert murder.target_address == "kyle.johnson@summitbridge.com"
