"""The case: what an adviser knows about a proposed spin-out, every fact possibly unknown.

A fact that is ``None`` is *unknown* — the adviser has not said — which is different from
``False`` or ``0``. Rules treat unknown facts with three-valued logic (see ``conditions``).
The metadata on each field (description, question, range) is the single source for the
fact vocabulary, the condition type checker, the README table and the interview.
"""

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from formselect.errors import CaseError, Problem, did_you_mean

from .enums import (
    AssetLock,
    BoardControl,
    ChallengeStatus,
    DirectAwardGround,
    Initiator,
    Jurisdiction,
    MembershipModel,
    NhsContractType,
    OriginProgramme,
    ParentBody,
    PensionScheme,
    PlannedRoute,
    ProfitDistribution,
    ReservedProvision,
    ServiceCategory,
    StaffInfluence,
)
from .kinds import check_value, converter_for, type_info

__all__ = [
    "Case",
    "Membership",
    "Money",
    "Ownership",
    "Procurement",
    "Service",
    "Transfer",
    "cross_field_problems",
]

PCT = (0.0, 100.0)
MONEY = (0.0, 1e12)


def _check_field(instance: object, attribute: "attrs.Attribute[Any]", value: object) -> None:
    """attrs validator: the same check the loader runs, raised for direct construction."""
    message = check_value(type_info(attribute.type), attribute.metadata, value)  # type: ignore[arg-type]
    if message is not None:
        found, expected = message
        section = type(instance).__name__.lower()
        raise CaseError(
            (Problem(f"{section}.{attribute.name}", "invalid value", found, expected),)
        )


def fact(description: str, question: str, *, bounds: tuple[float, float] | None = None,
         unit: str = "") -> Any:
    """Declare a case fact: optional (None = unknown), documented, range-checked."""
    meta: dict[str, Any] = {"description": description, "question": question, "unit": unit}
    if bounds is not None:
        meta["min"], meta["max"] = bounds
    return attrs.field(default=None, validator=_check_field, metadata=meta, kw_only=True)


def _converters(cls: type, fields: "list[attrs.Attribute[Any]]") -> "list[attrs.Attribute[Any]]":
    """Let Python callers write plain strings and lists: ``Service(jurisdiction="england")``."""
    return [f.evolve(converter=converter_for(f.type)) if f.type is not None else f
            for f in fields]


@attrs.frozen(field_transformer=_converters)
class Service:
    """The service being spun out and the public body it leaves."""

    parent_body: ParentBody | None = fact(
        "The public body the service leaves and which will commission it.",
        "Which public body does the service belong to today?")
    jurisdiction: Jurisdiction | None = fact(
        "The UK nation whose law applies.", "In which UK nation is the public body?")
    initiated_by: Initiator | None = fact(
        "Who set the spin-out in motion.", "Who started the spin-out: staff, management, "
        "the public body, the community or service users?")
    origin_programme: OriginProgramme | None = fact(
        "The programme or decision the spin-out came from (NHS Right to Request or Right to "
        "Provide, the Mutuals Support Programme, a council decision, a community initiative).",
        "Which programme or decision did the spin-out come from?")
    parent_body_count: int | None = fact(
        "Number of public bodies the service leaves or that will commission it together.",
        "How many public bodies does the service leave, or will commission it together?",
        bounds=(1, 1_000), unit="bodies")
    staff_count: int | None = fact(
        "Number of staff expected to move to the new organisation.",
        "How many staff will move to the new organisation?", bounds=(0, 1_000_000),
        unit="people")
    categories: frozenset[ServiceCategory] | None = fact(
        "What the service does (one or more categories).",
        "Which kinds of service will the organisation deliver?")
    cpv_codes: tuple[str, ...] | None = fact(
        "Common Procurement Vocabulary codes of the services, if known (8 digits, "
        "optionally with the check digit: 85000000-9).",
        "Which CPV codes describe the services?")
    nhs_health_care: bool | None = fact(
        "The services are health care services for the purposes of the NHS.",
        "Is this an NHS health care service (clinical care commissioned for NHS purposes)?")
    patient_choice: bool | None = fact(
        "Patients choose their provider and any qualifying provider may be offered a contract.",
        "Do patients choose their provider, with no cap on the number of providers?")
    public_service_mission: bool | None = fact(
        "The organisation's objective is a public service mission linked to the services.",
        "Will the organisation's stated objective be to deliver this public service?")
    mainly_reservable_services: bool | None = fact(
        "Most of the organisation's activity will be services that can be reserved to mutuals "
        "(health, social, education, cultural and similar services).",
        "Will most of the organisation's work be health, social, education, cultural or "
        "similar public services?")
    lighter_regime_services_predominate: bool | None = fact(
        "In a contract that mixes services, the health, social, education, cultural and similar "
        "services (PCR 2006 Part B; light-touch services) are worth more than the other "
        "services, and the services more than any goods.",
        "Are the health, social, education or similar services worth more than the other "
        "services and any goods in the contract?")


@attrs.frozen(field_transformer=_converters)
class Ownership:
    """Who owns and controls the new organisation."""

    employee_pct: float | None = fact(
        "Votes or shares held by staff, directly or through an employee trust.",
        "What percentage of the votes will staff hold (directly or through a trust)?",
        bounds=PCT, unit="%")
    community_pct: float | None = fact(
        "Votes held by service users, customers or the community (for example schools).",
        "What percentage will users, customers or the community hold?", bounds=PCT, unit="%")
    public_body_pct: float | None = fact(
        "Votes held by the public body (or bodies).",
        "What percentage will the public body keep?", bounds=PCT, unit="%")
    private_partner_pct: float | None = fact(
        "Votes or shares held by a private partner or other external investor.",
        "What percentage will a private partner or investor hold?", bounds=PCT, unit="%")
    board_control: BoardControl | None = fact(
        "Which group holds a majority of the board.", "Who will hold a majority on the board?")
    public_body_decisive_influence: bool | None = fact(
        "The public body keeps decisive influence over strategic objectives and significant "
        "decisions.", "Will the public body keep decisive influence over strategy and "
        "significant decisions?")
    activity_for_public_body_pct: float | None = fact(
        "Share of the organisation's activity carried out for the controlling public body.",
        "What percentage of the organisation's work will be for the public body?",
        bounds=PCT, unit="%")
    staff_influence: StaffInfluence | None = fact(
        "How much say staff will have: none, consulted, led (staff lead the spin-out), "
        "majority_of_board, or owned (staff own it directly, as members or through a trust).",
        "How much say will staff have: none, consulted, led, majority of the board, or owned?")
    founders_keep_control: bool | None = fact(
        "A small founding group (managers or founders) is to keep control.",
        "Is a small founding group to keep control?")
    staff_hold_shares: bool | None = fact(
        "Staff are to hold shares individually (often one share each).",
        "Will staff each hold shares in the organisation?")
    joint_public_control: bool | None = fact(
        "Several public bodies share control.", "Will several public bodies share control?")
    employee_ownership_trust: bool | None = fact(
        "Staff hold their stake through an employee ownership trust (EOT).",
        "Will staff hold their stake through an employee ownership trust?")


@attrs.frozen(field_transformer=_converters)
class Money:
    """What the organisation intends to do with money and assets."""

    profit_distribution: ProfitDistribution | None = fact(
        "What happens to surpluses.", "What will happen to any profit?")
    external_equity: bool | None = fact(
        "External equity investors are wanted.",
        "Does the organisation want outside investors to buy shares?")
    investor_payout_pct: float | None = fact(
        "Share of distributable profits expected to be paid to investors each year.",
        "What share of distributable profit do investors expect each year?",
        bounds=PCT, unit="%")
    asset_lock: AssetLock | None = fact(
        "Whether assets must be locked to the organisation's purpose.",
        "Must the assets be locked to the purpose (required, preferred, not wanted)?")
    charitable_status: bool | None = fact(
        "Charitable status is wanted.", "Does the organisation want to be a charity?")
    profit_pledged_to_community: bool | None = fact(
        "Surpluses are pledged to charities, the community or the service.",
        "Are surpluses pledged to charities, the community or the service?")
    charity_tax_motive: bool | None = fact(
        "Business rate relief, Gift Aid or grants open only to charities are a reason for "
        "charitable status.",
        "Are rate relief, Gift Aid or charity-only grants a reason to become a charity?")
    max_member_shareholding_gbp: float | None = fact(
        "Largest withdrawable shareholding one member would hold (societies).",
        "What is the most any one member would invest in shares, in pounds?",
        bounds=MONEY, unit="£")
    public_body_commercial_trading: bool | None = fact(
        "The public body will trade for a commercial purpose through the venture.",
        "Will the public body use the venture to trade for profit?")


@attrs.frozen(field_transformer=_converters)
class Membership:
    """Who can join, and whom the organisation benefits."""

    open_to_community: bool | None = fact(
        "Membership is open to service users or the community who benefit.",
        "Can service users or local people become members?")
    model: MembershipModel | None = fact(
        "Who the members will be: community_open, staff_members (one member one vote), "
        "founders_only, multi_stakeholder, or public_body_member.",
        "Who will the members be: the community, the staff, the founders, several groups, or "
        "the public body?")
    benefits_wider_community: bool | None = fact(
        "The organisation benefits a community wider than its own staff.",
        "Will the organisation benefit people beyond its own staff?")


@attrs.frozen(field_transformer=_converters)
class Procurement:
    """How the public body means to award the first contract."""

    start_date: dt.date | None = fact(
        "Date the procurement starts (first notice or approach to the market).",
        "On what date does (or did) the procurement start?")
    value_gbp_inc_vat: float | None = fact(
        "Estimated whole-life contract value including VAT and extensions.",
        "What is the contract worth over its whole life, including VAT?",
        bounds=MONEY, unit="£")
    term_years: float | None = fact(
        "Maximum contract term including all extension options.",
        "How long can the contract run, including extensions (years)?",
        bounds=(0, 99), unit="years")
    existing_provider: bool | None = fact(
        "The new organisation already holds the contract being awarded.",
        "Does the new organisation already hold this contract?")
    prior_reserved_award_date: dt.date | None = fact(
        "Date of the last contract this authority reserved to this organisation for the same "
        "kind of services.", "When did this authority last award it a reserved contract for "
        "the same services?")
    prior_reserved_award_provision: ReservedProvision | None = fact(
        "The provision that last reserved contract was awarded under (PCR 2015 reg 77 or "
        "Procurement Act 2023 s.33).", "Was that reserved contract awarded under reg 77 or "
        "under s.33?")
    planned_route: PlannedRoute | None = fact(
        "The route the public body intends to use.", "Which award route is planned?")
    direct_award_ground: DirectAwardGround | None = fact(
        "The ground claimed for awarding without competition.",
        "On what ground would the contract be awarded without competition?")
    urgency_attributable_to_authority: bool | None = fact(
        "Any urgency was caused by, or foreseeable to, the authority.",
        "Was any urgency caused by the authority or foreseeable by it?")
    likely_challengers: int | None = fact(
        "Number of other capable suppliers known to be interested.",
        "How many other suppliers could deliver the service and may be interested?",
        bounds=(0, 100_000), unit="suppliers")
    market_engagement_done: bool | None = fact(
        "The authority has engaged early with likely competitors.",
        "Has the authority spoken to likely competitors before starting?")
    cross_border_interest: bool | None = fact(
        "The contract may interest suppliers from other countries.",
        "Could the contract interest suppliers from abroad?")
    local_opposition: bool | None = fact(
        "Service users, residents, staff or unions publicly oppose the transfer.",
        "Do service users, residents, staff or unions publicly oppose the transfer?")
    notice_published: bool | None = fact(
        "A voluntary transparency (VEAT) or transparency notice has been or will be published.",
        "Will the authority publish a notice of its intention to award?")
    challenge_status: ChallengeStatus | None = fact(
        "Whether a supplier has started proceedings, and when.",
        "Has any supplier started a legal challenge, and when?")
    considerable_change: bool | None = fact(
        "The new contract is considerably different from the existing one (NHS PSR).",
        "Is the new contract considerably different from the existing one?")
    right_to_challenge_eoi: bool | None = fact(
        "Staff or a community body submitted a Community Right to Challenge expression of "
        "interest.", "Was a Community Right to Challenge expression of interest submitted?")


@attrs.frozen(field_transformer=_converters)
class Transfer:
    """Staff, pensions and assets that move to the new organisation."""

    staff_transfer: bool | None = fact(
        "An organised group of staff moves to the new organisation.",
        "Will staff transfer to the new organisation?")
    compulsory_transfer: bool | None = fact(
        "Staff transfer compulsorily (under TUPE) rather than by choice.",
        "Will staff transfer compulsorily under TUPE?")
    pension_schemes: frozenset[PensionScheme] | None = fact(
        "Public service pension schemes the transferring staff belong to.",
        "Which pension schemes are the transferring staff in?")
    nhs_contract_type: NhsContractType | None = fact(
        "The NHS contract the organisation will hold.",
        "What kind of NHS contract will the organisation hold?")
    asset_undervalue_gbp: float | None = fact(
        "Discount against market value of land or assets transferred.",
        "By how much are transferred assets below market value, in pounds?",
        bounds=MONEY, unit="£")
    other_support_gbp_3yr: float | None = fact(
        "Grants, below-market loans and similar support over three financial years.",
        "How much other public support will it receive over three years, in pounds?",
        bounds=MONEY, unit="£")
    minimal_assistance_total_gbp_3yr: float | None = fact(
        "All minimal or services-of-public-economic-interest financial assistance the "
        "organisation receives from any public body over the current and two previous "
        "financial years, this transfer's discount and support included.",
        "In total, how much minimal or SPEI financial assistance will it have received over "
        "this and the two previous financial years, in pounds?",
        bounds=MONEY, unit="£")
    staff_terms_retained: bool | None = fact(
        "Transferring staff keep public-sector terms that new recruits will not get.",
        "Will transferred staff keep terms that new recruits will not get?")


def _section(cls: type) -> Any:
    return attrs.field(factory=cls, kw_only=True)


@attrs.frozen
class Case:
    """A proposed public service mutual, in an adviser's vocabulary."""

    name: str = attrs.field(default="", kw_only=True)
    notes: str = attrs.field(default="", kw_only=True)
    # the date to assess the case at when advise() is given none; before the procurement
    # start date, which is the default otherwise
    as_of: dt.date | None = attrs.field(default=None, kw_only=True)
    service: Service = _section(Service)
    ownership: Ownership = _section(Ownership)
    money: Money = _section(Money)
    membership: Membership = _section(Membership)
    procurement: Procurement = _section(Procurement)
    transfer: Transfer = _section(Transfer)

    def __attrs_post_init__(self) -> None:
        problems = cross_field_problems(self)
        if problems:
            raise CaseError(tuple(problems))

    def get(self, fact_name: str) -> object:
        """The value of a fact by its dotted name (``"ownership.employee_pct"``)."""
        section, _, field = fact_name.partition(".")
        return getattr(getattr(self, section), field)

    def with_facts(self, changes: Mapping[str, object]) -> "Case":
        """A copy with facts changed by dotted name, e.g. ``{"money.asset_lock": None}``.

        An unknown fact name raises :class:`~formselect.errors.CaseError` with every such
        name and the nearest known one; a bad value, the same error as for a new case."""
        known = {f"{s.name}.{f.name}" for s in attrs.fields(Case)
                 if attrs.has(s.type) for f in attrs.fields(s.type)}  # type: ignore[arg-type]
        unknown = [Problem(str(name), "unknown fact", expected="a dotted fact name such as "
                           "ownership.employee_pct", suggestion=did_you_mean(str(name), known),
                           source="with_facts")
                   for name in changes if name not in known]
        if unknown:
            raise CaseError(unknown)
        by_section: dict[str, dict[str, object]] = {}
        for name, value in changes.items():
            section, _, field = name.partition(".")
            by_section.setdefault(section, {})[field] = value
        sections = {s: attrs.evolve(getattr(self, s), **f) for s, f in by_section.items()}
        return attrs.evolve(self, **sections)


def cross_field_problems(case: Case) -> list[Problem]:
    """Facts that are each valid but contradict one another."""
    problems: list[Problem] = []
    own = case.ownership
    stakes = [own.employee_pct, own.community_pct, own.public_body_pct, own.private_partner_pct]
    total = sum(s for s in stakes if isinstance(s, int | float) and not isinstance(s, bool))
    if total > 100.000_1:
        problems.append(Problem(
            "ownership", "the stakes add up to more than 100%", found=round(total, 4),
            expected="employee_pct + community_pct + public_body_pct + private_partner_pct "
            "<= 100", suggestion="check each holder's percentage of the votes"))
    tr = case.transfer
    if tr.compulsory_transfer is True and tr.staff_transfer is False:
        problems.append(Problem(
            "transfer.compulsory_transfer", "a compulsory transfer needs staff to transfer",
            found=True, expected="false or unknown while transfer.staff_transfer is false"))
    schemes = tr.pension_schemes
    if isinstance(schemes, frozenset) and PensionScheme.NONE in schemes and len(schemes) > 1:
        problems.append(Problem(
            "transfer.pension_schemes", "'none' cannot be combined with a scheme",
            found=sorted(str(s) for s in schemes), expected="either ['none'] or the schemes"))
    money = case.money
    payout = money.investor_payout_pct
    if money.profit_distribution is ProfitDistribution.REINVEST_ALL and isinstance(
            payout, int | float) and payout > 0:
        problems.append(Problem(
            "money.investor_payout_pct", "investors cannot be paid when all profit is "
            "reinvested", found=payout,
            expected="0 or unknown while money.profit_distribution is 'reinvest_all'"))
    return problems
