"""Closed vocabularies used by case facts (the values an adviser may choose from)."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AssetLock",
    "BoardControl",
    "ChallengeStatus",
    "DirectAwardGround",
    "Initiator",
    "Jurisdiction",
    "MembershipModel",
    "NhsContractType",
    "OriginProgramme",
    "ParentBody",
    "PensionScheme",
    "PlannedRoute",
    "ProfitDistribution",
    "ReservedProvision",
    "ServiceCategory",
    "StaffInfluence",
]


class Jurisdiction(StrEnum):
    """The UK nation whose procurement and company law applies."""

    ENGLAND = "england"
    WALES = "wales"
    SCOTLAND = "scotland"
    NORTHERN_IRELAND = "northern_ireland"


class ParentBody(StrEnum):
    """The public body the service leaves (and which will commission it)."""

    COUNCIL = "council"
    COMBINED_AUTHORITY = "combined_authority"
    NHS_COMMISSIONER = "nhs_commissioner"  # NHS England, an ICB, or formerly a CCG or PCT
    NHS_TRUST = "nhs_trust"
    NHS_FOUNDATION_TRUST = "nhs_foundation_trust"
    CENTRAL_GOVERNMENT = "central_government"
    OTHER_PUBLIC_BODY = "other_public_body"


class Initiator(StrEnum):
    """Who set the spin-out in motion."""

    STAFF = "staff"
    MANAGEMENT = "management"
    PUBLIC_BODY = "public_body"
    COMMUNITY = "community"
    SERVICE_USERS = "service_users"


class ServiceCategory(StrEnum):
    """What the service does, in the terms procurement law classifies by."""

    HEALTH_CARE = "health_care"
    SOCIAL_CARE = "social_care"
    CHILDREN_AND_YOUTH = "children_and_youth"
    EDUCATION_AND_TRAINING = "education_and_training"
    CAREERS_ADVICE = "careers_advice"
    SCHOOL_SUPPORT = "school_support"
    SCHOOL_MEALS = "school_meals"
    LEISURE_CULTURE_SPORT = "leisure_culture_sport"
    LIBRARIES_AND_ARCHIVES = "libraries_and_archives"
    IT_SERVICES = "it_services"
    IT_SUPPLIES = "it_supplies"
    ARCHITECTURE_AND_ENGINEERING = "architecture_and_engineering"
    BUILDING_AND_FACILITIES = "building_and_facilities"
    SECURITY_SERVICES = "security_services"
    PENSIONS_ADMINISTRATION = "pensions_administration"
    FINANCE_AND_ACCOUNTING = "finance_and_accounting"
    LEGAL_SERVICES = "legal_services"
    HOUSING_MANAGEMENT = "housing_management"
    TRANSPORT = "transport"
    WASTE_AND_CLEANING = "waste_and_cleaning"
    PROBATION = "probation"
    ENVIRONMENTAL_SERVICES = "environmental_services"  # parks, environmental health, regulation
    POLICY_AND_RESEARCH = "policy_and_research"
    OTHER = "other"


class BoardControl(StrEnum):
    """Which group holds a majority on the board."""

    EMPLOYEES = "employees"
    COMMUNITY = "community"
    PUBLIC_BODY = "public_body"
    PRIVATE_PARTNER = "private_partner"
    SHARED = "shared"  # no single group has a majority


class ProfitDistribution(StrEnum):
    """What happens to surpluses."""

    REINVEST_ALL = "reinvest_all"
    MEMBERS_ONLY = "members_only"
    PARTICIPATORY = "participatory"  # to members in proportion to their participation
    INVESTORS_CAPPED = "investors_capped"  # to investors, within a cap such as the CIC 35%
    UNRESTRICTED = "unrestricted"  # to shareholders without a cap
    TO_NON_MEMBERS = "to_non_members"  # profit shares to people who are not members


class AssetLock(StrEnum):
    """Whether the organisation's assets must be locked to its purpose."""

    REQUIRED = "required"
    PREFERRED = "preferred"
    NOT_WANTED = "not_wanted"


class PlannedRoute(StrEnum):
    """The route the public body intends to use for the first contract."""

    IN_HOUSE = "in_house"
    RESERVED_COMPETITION = "reserved_competition"
    COMPETITION = "competition"
    DIRECT_AWARD = "direct_award"
    SHORTLIST_OF_ONE = "shortlist_of_one"
    PSR_DIRECT_AWARD = "psr_direct_award"
    PSR_MOST_SUITABLE_PROVIDER = "psr_most_suitable_provider"
    PSR_COMPETITIVE = "psr_competitive"
    BELOW_THRESHOLD = "below_threshold"


class ReservedProvision(StrEnum):
    """The provision an earlier reserved contract was awarded under (the s.33 cool-off counts
    only contracts awarded in reliance on s.33: Procurement Act 2023 s.33(7)(c))."""

    REG77 = "reg77"
    S33 = "s33"


class DirectAwardGround(StrEnum):
    """The ground claimed for awarding without competition."""

    TECHNICAL_ABSENCE = "technical_absence"
    EXCLUSIVE_RIGHTS = "exclusive_rights"
    URGENCY = "urgency"
    USER_CHOICE = "user_choice"
    REPEAT = "repeat"
    PROTOTYPE = "prototype"
    NONE = "none"


class ChallengeStatus(StrEnum):
    """Whether a supplier has started proceedings, and when."""

    NONE = "none"
    ISSUED_IN_STANDSTILL = "issued_in_standstill"
    ISSUED_AFTER_STANDSTILL_PRE_CONTRACT = "issued_after_standstill_pre_contract"
    ISSUED_POST_CONTRACT = "issued_post_contract"


class PensionScheme(StrEnum):
    """Public service pension schemes the transferring staff belong to."""

    LGPS = "lgps"
    NHS = "nhs"
    CIVIL_SERVICE = "civil_service"
    TEACHERS = "teachers"
    NONE = "none"


class NhsContractType(StrEnum):
    """The NHS contract the new organisation will hold (for NHS Pension Scheme access)."""

    NHS_STANDARD = "nhs_standard"
    APMS = "apms"
    LA_PUBLIC_HEALTH = "la_public_health"
    OTHER = "other"


class StaffInfluence(StrEnum):
    """How much say staff will have, as advisers usually know it before any numbers exist."""

    NONE = "none"
    CONSULTED = "consulted"
    LED = "led"  # staff initiated and lead the spin-out
    MAJORITY_OF_BOARD = "majority_of_board"
    OWNED = "owned"  # staff own it: directly, as members, or through a trust


class MembershipModel(StrEnum):
    """Who the members will be."""

    COMMUNITY_OPEN = "community_open"  # open to service users and local people
    STAFF_MEMBERS = "staff_members"  # staff are the members, one member one vote
    FOUNDERS_ONLY = "founders_only"  # a small founding group
    MULTI_STAKEHOLDER = "multi_stakeholder"  # staff, users, community as member classes
    PUBLIC_BODY_MEMBER = "public_body_member"  # the public body is (or is among) the members


class OriginProgramme(StrEnum):
    """The programme or decision the spin-out came from."""

    RIGHT_TO_REQUEST = "right_to_request"  # NHS Transforming Community Services, 2008-2011
    RIGHT_TO_PROVIDE = "right_to_provide"  # NHS and social care staff, from 2011
    MUTUALS_SUPPORT_PROGRAMME = "mutuals_support_programme"  # Cabinet Office, 2011-2016
    COUNCIL_DECISION = "council_decision"
    COMMUNITY_INITIATIVE = "community_initiative"
