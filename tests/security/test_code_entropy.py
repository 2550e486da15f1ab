"""Checklist: codes and tokens that open something without a password cannot be guessed.

Long secrets (questionnaire invitation codes, login session keys, the scoring phone's device
token) must carry at least 128 random bits: the bits are computed from the alphabet and the
length of codes the services really issue, and many draws must be distinct and spread over
the whole alphabet in every position (a position that takes fewer values carries fewer bits).

Scoring join codes are short on purpose: a representative types ten characters on a phone.
They are protected instead by being personal, single-use, revoked when a sheet is reprinted
and expiring, and by the per-address throttle on wrong codes (rows in the shared LoginAttempt
table, so every app server counts them). The last tests demonstrate the throttle's bound and
compute, from the real settings, the chance that one address guesses any live code.
"""

from __future__ import annotations

import base64
import math
import string
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import JoinCode, LoginSession, User
from survey.models.base import utcnow
from survey.services import accounts, invites, join_codes, rater_devices
from survey.services.invites import normalise_code
from tests.survey.scoring_builders import open_round

#: What an attacker may hope for, at most, against short join codes over their lifetime.
MAX_GUESS_PROBABILITY = 1e-6
#: Join codes alive at once across every open round, generously: each rater of an open round
#: holds at most one unused code (checked below); the demo district has 27 representatives.
LIVE_CODES = 10_000
URLSAFE = set(string.ascii_letters + string.digits + "-_")


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def bits(code: str, alphabet: set[str] | str) -> float:
    """Entropy of a uniformly drawn code: its length times log2 of the alphabet's size."""
    return len(code) * math.log2(len(set(alphabet)))


def assert_spread(codes: list[str], alphabet: set[str] | str) -> None:
    """Distinct codes, every character from the alphabet, every position taking every value,
    and no character far from its share over all draws."""
    assert len(set(codes)) == len(codes)
    width = len(codes[0])
    assert all(len(code) == width for code in codes)
    for position in range(width):
        assert {code[position] for code in codes} == set(alphabet), f"position {position}"
    counts = Counter("".join(codes))
    expected = len(codes) * width / len(set(alphabet))
    assert set(counts) == set(alphabet)
    assert all(0.75 * expected < n < 1.25 * expected for n in counts.values()), counts


def urlsafe_bytes(token: str) -> bytes:
    assert set(token) <= URLSAFE, token
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def assert_random_token(tokens: list[str]) -> None:
    """Each token decodes to at least 16 bytes (128 bits); they differ; their bits are balanced."""
    raw = [urlsafe_bytes(t) for t in tokens]
    assert len(set(raw)) == len(raw)
    assert min(len(r) for r in raw) * 8 >= 128
    ones = sum(byte.bit_count() for r in raw for byte in r)
    total = sum(len(r) for r in raw) * 8
    assert 0.47 < ones / total < 0.53, ones / total


# --------------------------------------------------------------------------- invitation codes


def test_invitation_codes_carry_at_least_128_bits_over_the_whole_alphabet(ctx):
    from survey.models import QuestionnaireKind
    from survey.services import questionnaires
    from tests.forms.conftest import make_questionnaire

    questionnaire = questionnaires.create_questionnaire(spec=make_questionnaire(), kind=QuestionnaireKind.NEEDS)
    issued = invites.create_invites(questionnaire=questionnaire, count=2000)
    codes = [normalise_code(i.code) for i in issued]
    assert bits(codes[0], invites.ALPHABET) >= 128, bits(codes[0], invites.ALPHABET)
    assert_spread(codes, invites.ALPHABET)
    # The printed form groups the same characters; what is typed back is what was issued.
    assert all(normalise_code(i.code.lower().replace("-", " ")) == c for i, c in zip(issued, codes))


# --------------------------------------------------------------------------- login and device tokens


def test_login_session_keys_carry_at_least_128_random_bits(ctx, make_user):
    user = db.session.get(User, make_user("staff", username="entropy"))
    keys = [accounts.start_login_session(user=user, user_agent="test", hours=1) for _ in range(300)]
    assert_random_token(keys)
    stored = set(db.session.scalars(select(LoginSession.key_hash).where(LoginSession.user_id == user.id)))
    assert not stored & set(keys) and len(stored) == len(keys)  # only their hashes are kept


@pytest.fixture
def world(ctx):
    """An open round with one session scheduled for now, its panel seated."""
    from survey.services import rounds

    round = open_round()
    session = min(round.sessions, key=lambda s: s.unit.code)
    rounds.schedule_session(session=session, starts_at=utcnow(), place=None)
    db.session.commit()
    return round, session


def test_rater_device_tokens_carry_at_least_128_random_bits(world, ctx):
    _round, session = world
    tokens = []
    for _ in range(40):  # each printing issues fresh codes for the whole panel
        for issued in join_codes.issue_join_codes(session=session):
            joined = rater_devices.join_with_code(code=issued.code, address="192.0.2.1", user_agent="phone",
                                                  settings=ctx.config)
            tokens.append(joined.token)
    assert len(tokens) >= 200
    assert_random_token(tokens)


# --------------------------------------------------------------------------- join codes


def test_each_rater_holds_at_most_one_live_join_code_per_round(world):
    """Reprinting revokes the earlier unused codes, so live codes never outnumber raters."""
    round, session = world
    for _ in range(3):
        issued = join_codes.issue_join_codes(session=session)
    live = list(db.session.scalars(select(JoinCode).where(
        JoinCode.round_id == round.id, JoinCode.used_at.is_(None), JoinCode.revoked_at.is_(None))))
    assert sorted(c.rater_id for c in live) == sorted(i.rater_id for i in issued)
    assert len({c.rater_id for c in live}) == len(live)


def code_lifetime(session, ctx) -> timedelta:
    """The longest a code of the session lives: unscheduled sessions' codes last longest."""
    from survey.services import rounds

    now = utcnow()
    rounds.schedule_session(session=session, starts_at=None, place=None)
    unscheduled = join_codes.issue_join_codes(session=session, now=now)
    row = db.session.scalar(select(JoinCode).where(JoinCode.code_hash == invites.code_hash(unscheduled[0].code)))
    rounds.schedule_session(session=session, starts_at=now, place=None)
    scheduled = join_codes.code_expiry(session, now) - now
    return max(row.expires_at - row.created_at, scheduled)


def test_the_join_throttle_bounds_the_guesses_one_address_makes(world, ctx):
    """An attacker sends bursts each minute for an hour; the real settings let through at most
    JOIN_MAX_FAILURES_PER_IP wrong codes per window, and then not even a right one."""
    _round, session = world
    limit = ctx.config["JOIN_MAX_FAILURES_PER_IP"]
    window = timedelta(minutes=ctx.config["LOGIN_FAILURE_WINDOW_MINUTES"])
    good = join_codes.issue_join_codes(session=session)[0].code
    start = utcnow()
    duration = timedelta(hours=1)
    guessed = throttled = 0
    first_burst = None
    for minute in range(int(duration / timedelta(minutes=1))):
        now = start + timedelta(minutes=minute)
        for attempt in range(limit + 1):
            try:
                rater_devices.join_with_code(code=f"{minute:05d}-{attempt:05d}", address="203.0.113.9",
                                             user_agent=None, settings=ctx.config, now=now)
            except rater_devices.JoinRefused:
                guessed += 1
            except rater_devices.JoinThrottled:
                throttled += 1
        if first_burst is None:
            first_burst = guessed
            with pytest.raises(rater_devices.JoinThrottled):  # the right code waits too
                rater_devices.join_with_code(code=good, address="203.0.113.9", user_agent=None,
                                             settings=ctx.config, now=now)
    bound = limit * math.ceil(duration / window)
    assert first_burst == limit
    assert 0 < guessed <= bound, (guessed, bound)
    assert throttled > guessed
    # Another address is not held up by this one.
    assert rater_devices.join_with_code(code=good, address="198.51.100.7", user_agent=None,
                                        settings=ctx.config, now=start).token


def test_guessing_a_live_join_code_within_its_lifetime_is_below_one_in_a_million(world, ctx):
    """(guesses one address can make over a code's lifetime) x (live codes) / (code space).

    With the defaults: 10 Crockford base32 characters = 50 bits = 1.13e15 codes; 30 wrong codes
    per 15 minutes = 2,880 a day; codes live at most 14 days (a session without a time) =
    40,320 guesses; against 10,000 live codes the chance is about 3.6e-7. The throttle is per
    address: an attacker with A addresses multiplies it by A (behind a proxy, set
    KAIMEN_TRUSTED_PROXIES so the address is the client's, not the proxy's). A session scheduled
    weeks ahead whose sheet is printed early has longer-lived codes: at 10,000 live codes the
    bound holds for codes up to about 39 days old."""
    _round, session = world
    issued = join_codes.issue_join_codes(session=session)
    typed = normalise_code(issued[0].code)
    assert set(typed) <= set(invites.ALPHABET)
    space = len(set(invites.ALPHABET)) ** len(typed)
    assert math.log2(space) == pytest.approx(bits(typed, invites.ALPHABET))
    lifetime = code_lifetime(session, ctx)
    window = timedelta(minutes=ctx.config["LOGIN_FAILURE_WINDOW_MINUTES"])
    guesses = ctx.config["JOIN_MAX_FAILURES_PER_IP"] * math.ceil(lifetime / window)
    probability = guesses * LIVE_CODES / space
    assert probability < MAX_GUESS_PROBABILITY, (guesses, space, probability)
    assert lifetime == join_codes.UNSCHEDULED_VALIDITY  # the longest: a session without a time
    # And the codes are drawn over the whole alphabet in every position (by the generator
    # issue_join_codes calls; enough draws that a fair one never fails the spread check).
    assert join_codes.random_code is invites.random_code
    codes = [normalise_code(invites.random_code(join_codes.CODE_LENGTH, join_codes.CODE_GROUP))
             for _ in range(2000)]
    assert len(codes[0]) == len(typed)
    assert_spread(codes, invites.ALPHABET)
