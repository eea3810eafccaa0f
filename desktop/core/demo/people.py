"""Demo families: who lives together, how old they are, and what follows from their age.

A family is drawn as a shape (a couple with children, three generations, an elderly couple...) with
ages that make sense for the relationships; schooling, education, health, labour and migrant work
then follow from each person's age, the way a cadre would fill the roster. The result passes the
county's data checks, so the only findings on a demo county are the problems planted on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from desktop.core.demo import identity, names
from desktop.core.demo.context import Context

MARRIED_ROLES = ("head", "spouse", "daughter_in_law", "son_in_law", "father", "mother")
WORKING = ("in_township", "in_county", "in_province", "out_of_province")
STUDENT_STAGES = ("primary", "grade7", "grade8", "grade9")  # plus the senior/higher codes below


@dataclass
class Person:
    id: str
    name: str
    gender: str
    birth_date: date
    relation: str
    ethnicity: str | None
    id_number: str
    age: int
    education: str | None = None
    school_status: str | None = None
    health: str = "healthy"
    labour: str | None = None
    work_status: str | None = None
    work_months: int | None = None
    dibao: bool = False
    medical_insurance: bool = True
    serious_illness_insurance: bool = True
    pension_insurance: bool = False
    phone: str | None = None
    left_reason: str | None = None
    left_date: date | None = None

    @property
    def current(self) -> bool:
        return self.left_reason is None

    @property
    def student(self) -> bool:
        return self.school_status not in (None, "not_in_school", "preschool")

    @property
    def worker(self) -> bool:
        return self.work_status in WORKING and (self.work_months or 0) > 0

    @property
    def sick(self) -> bool:
        return self.health in ("chronic", "serious")

    def row(self, household_id: str, order: int) -> dict[str, Any]:
        return {
            "id": self.id,
            "household_id": household_id,
            "name": self.name,
            "id_number": self.id_number,
            "gender": self.gender,
            "birth_date": self.birth_date,
            "relation": self.relation,
            "ethnicity": self.ethnicity,
            "education": self.education,
            "school_status": self.school_status,
            "health": self.health,
            "labour": self.labour,
            "work_status": self.work_status,
            "work_months": self.work_months,
            "dibao": self.dibao,
            "medical_insurance": self.medical_insurance,
            "serious_illness_insurance": self.serious_illness_insurance,
            "pension_insurance": self.pension_insurance,
            "public_salaried": False,
            "village_cadre": False,
            "phone": self.phone,
            "left_reason": self.left_reason,
            "left_date": self.left_date,
            "sort_order": order,
        }


SHAPES = {
    "couple_children": 40,
    "three_generations": 22,
    "with_parents": 11,
    "elderly": 15,
    "single_parent": 7,
    "single_adult": 5,
}


def other(gender: str) -> str:
    return "F" if gender == "M" else "M"


class FamilyBuilder:
    """Builds one household's members; ``shape`` may be forced (planted problems need one)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.rng = ctx.rng
        self._taken: set[str] = set()

    # ------------------------------------------------------------------ one person
    def person(
        self,
        relation: str,
        gender: str,
        age: int,
        surname: str,
        ethnicity: str,
        first: str | None = None,
        taken: set[str] | None = None,
    ) -> Person:
        ctx = self.ctx
        born = ctx.birth_date(age)
        name = surname + names.given_name(self.rng, gender, born.year, first)
        while taken is not None and name in taken:
            name = surname + names.given_name(self.rng, gender, born.year)
        if taken is not None:
            taken.add(name)
        person = Person(
            id=ctx.uuid(),
            name=name,
            gender=gender,
            birth_date=born,
            relation=relation,
            ethnicity=ethnicity,
            id_number=ctx.ids.issue(self.rng, born, gender),
            age=age,
        )
        self.fill(person)
        return person

    def fill(self, p: Person) -> None:
        """Schooling, education, health, labour and work, consistent with age."""
        self._school(p)
        self._health(p)
        self._labour(p)
        self._work(p)
        rng = self.rng
        p.medical_insurance = rng.random() < 0.99
        p.serious_illness_insurance = p.medical_insurance and rng.random() < 0.97
        p.pension_insurance = p.age >= 16 and not p.student and rng.random() < 0.85
        if 18 <= p.age <= 60 and rng.random() < 0.55:
            p.phone = identity.mobile(rng)

    def _school(self, p: Person) -> None:
        rng, stage = self.rng, self.ctx.school_age(p.birth_date)
        if p.age < 6 or stage < 6:
            # from six (a birthday after 31 August waits a year for school) always in pre-school
            in_preschool = p.age >= 6 or (stage >= 3 and rng.random() < 0.85)
            p.school_status = "preschool" if in_preschool else "not_in_school"
            p.education = "preschool"
        elif stage <= 11:
            p.school_status, p.education = "primary", "primary"
        elif stage <= 14:
            p.school_status, p.education = f"grade{stage - 5}", "junior"
        elif stage <= 17:
            year = stage - 14
            if p.age >= 16 and rng.random() < 0.2:
                p.school_status, p.education = "not_in_school", "junior"
            elif rng.random() < 0.6:
                p.school_status, p.education = f"senior{year}", "senior"
            else:
                p.school_status, p.education = f"vocational{year}", "vocational"
        elif stage <= 21 and p.relation not in MARRIED_ROLES and rng.random() < 0.3:
            year = stage - 17
            if year <= 3 and rng.random() < 0.5:
                p.school_status = f"higher_vocational{year}"
            else:
                p.school_status = "college"
            p.education = "college"
        else:
            p.school_status = "not_in_school"
            p.education = self._adult_education(p)

    def _adult_education(self, p: Person) -> str:
        born = p.birth_date.year
        if born < 1955:
            table = {"illiterate": 45, "primary": 45, "junior": 10}
        elif born < 1970:
            table = {"illiterate": 20, "primary": 50, "junior": 27, "senior": 3}
        elif born < 1985:
            table = {"illiterate": 5, "primary": 35, "junior": 50, "senior": 6, "vocational": 4}
        else:
            table = {"primary": 10, "junior": 55, "senior": 15, "vocational": 12, "college": 8}
        if p.age < 21:
            table.pop("college", None)
        return self.ctx.pick(table)

    def _health(self, p: Person) -> None:
        if p.age < 16:
            table = {"healthy": 96, "chronic": 2, "serious": 0.5, "disabled": 1.5}
        elif p.age < 50:
            table = {"healthy": 88, "chronic": 6, "serious": 2, "disabled": 4}
        elif p.age < 65:
            table = {"healthy": 72, "chronic": 18, "serious": 4, "disabled": 6}
        else:
            table = {"healthy": 52, "chronic": 34, "serious": 7, "disabled": 7}
        p.health = self.ctx.pick(table)

    def _labour(self, p: Person) -> None:
        pick = self.ctx.pick
        if p.age < 16:
            p.labour = "none"
        elif p.student and p.health == "healthy":
            p.labour = "ordinary"
        elif p.health == "serious":
            p.labour = pick({"lost": 60, "weak": 40})
        elif p.health == "disabled":
            p.labour = pick({"lost": 50, "weak": 50})
        elif p.health == "chronic":
            p.labour = (
                pick({"weak": 70, "ordinary": 30})
                if p.age <= 65
                else pick({"weak": 50, "lost": 50})
            )
        elif p.age <= 60:
            p.labour = pick({"ordinary": 72, "skilled": 28})
        elif p.age <= 65:
            p.labour = pick({"weak": 60, "ordinary": 40})
        else:
            p.labour = pick({"weak": 50, "none": 50})

    def _work(self, p: Person) -> None:
        rng = self.rng
        if p.age < 16 or p.student:
            p.work_status, p.work_months = None, None
            return
        able = p.labour in ("ordinary", "skilled", "weak")
        if able and p.age <= 60:
            table = {"out_of_province": 34, "in_province": 20, "in_county": 11, "in_township": 11}
            table["not_working"] = 24 if p.labour != "weak" else 60
            p.work_status = self.ctx.pick(table)
        elif able and p.age <= 65 and rng.random() < 0.2:
            p.work_status = "in_township"
        else:
            p.work_status = "not_working"
        months = {
            "out_of_province": (8, 12),
            "in_province": (6, 12),
            "in_county": (4, 11),
            "in_township": (2, 10),
        }.get(p.work_status)
        p.work_months = rng.randint(*months) if months else None

    # ------------------------------------------------------------------ families
    def family(self, shape: str | None = None) -> list[Person]:
        rng = self.rng
        forced = shape is not None
        shape = shape or self.ctx.pick({k: float(v) for k, v in SHAPES.items()})
        build = getattr(self, f"_{shape}")
        members: list[Person] = build()
        if not forced and rng.random() < 0.04:
            self._someone_left(members)
        return members

    def _head_gender(self, male_share: float) -> str:
        return "M" if self.rng.random() < male_share else "F"

    def _couple(self, head_age: int, male_share: float = 0.86) -> tuple[list[Person], str, str]:
        """Head and spouse; returns them with the family surname (the father's) and ethnicity."""
        rng = self.rng
        gender = self._head_gender(male_share)
        ethnicity = names.ethnicity(rng)
        head_surname, spouse_surname = names.surname(rng), names.surname(rng)
        taken: set[str] = set()
        head = self.person("head", gender, head_age, head_surname, ethnicity, taken=taken)
        wife_younger = rng.randint(-2, 5)
        spouse_age = head_age - wife_younger if gender == "M" else head_age + wife_younger
        spouse_age = max(18, min(spouse_age, 95))
        spouse_ethnicity = ethnicity if rng.random() < 0.8 else names.ethnicity(rng)
        spouse = self.person(
            "spouse", other(gender), spouse_age, spouse_surname, spouse_ethnicity, taken=taken
        )
        father = head if gender == "M" else spouse
        self._taken = taken
        return [head, spouse], father.name[0], father.ethnicity or ethnicity

    def _children(
        self,
        mother_age: int,
        surname: str,
        ethnicity: str,
        count: int,
        relations: tuple[str, str],
        first_age: int | None = None,
    ) -> list[Person]:
        """Children born to a mother aged 20–40, one to six years apart."""
        rng = self.rng
        age = mother_age - rng.randint(20, 30) if first_age is None else first_age
        kids: list[Person] = []
        generation = {g: names.generation_char(rng, g, self.ctx.today.year - age) for g in "MF"}
        for _ in range(count):
            if age < 0 or mother_age - age > 40:
                break
            gender = "M" if rng.random() < 0.53 else "F"
            relation = relations[0] if gender == "M" else relations[1]
            kids.append(
                self.person(
                    relation, gender, age, surname, ethnicity, generation[gender], self._taken
                )
            )
            age -= rng.randint(1, 6)
        return kids

    def _couple_children(
        self, head_age: int | None = None, kids: int | None = None
    ) -> list[Person]:
        rng = self.rng
        head_age = head_age or rng.randint(26, 56)
        couple, surname, ethnicity = self._couple(head_age)
        mother = couple[0] if couple[0].gender == "F" else couple[1]
        count = kids or rng.choices((1, 2, 3, 4), (30, 45, 20, 5))[0]
        return couple + self._children(mother.age, surname, ethnicity, count, ("son", "daughter"))

    def _school_family(self) -> list[Person]:
        """A couple around forty with children of compulsory-school age (planted problems)."""
        rng = self.rng
        couple, surname, ethnicity = self._couple(rng.randint(36, 42))
        mother = couple[0] if couple[0].gender == "F" else couple[1]
        first = rng.randint(10, 13)
        return couple + self._children(
            max(mother.age, first + 22), surname, ethnicity, 2, ("son", "daughter"), first
        )

    def _three_generations(self) -> list[Person]:
        rng = self.rng
        couple, surname, ethnicity = self._couple(rng.randint(50, 74), male_share=0.9)
        if rng.random() < 0.25:  # widowed grandparent heads the household
            couple = couple[:1]
        head = couple[0]
        son_age = max(23, head.age - rng.randint(22, 32))
        son_surname = surname  # the father's surname, whether or not he is still alive
        son = self.person("son", "M", son_age, son_surname, ethnicity, taken=self._taken)
        wife_age = max(21, son_age - rng.randint(-2, 5))
        wife = self.person(
            "daughter_in_law", "F", wife_age, names.surname(rng), ethnicity, taken=self._taken
        )
        count = rng.choices((1, 2, 3), (40, 45, 15))[0]
        grandkids = self._children(
            wife.age, son_surname, ethnicity, count, ("grandson", "granddaughter")
        )
        return [*couple, son, wife, *grandkids]

    def _with_parents(self) -> list[Person]:
        rng = self.rng
        members = self._couple_children(head_age=rng.randint(28, 48))
        head = members[0]
        base = head.age + rng.randint(22, 32)
        ethnicity = head.ethnicity or "01"
        parents = []
        if rng.random() < 0.75:
            parents.append(
                self.person(
                    "father", "M", min(base, 92), head.name[0], ethnicity, taken=self._taken
                )
            )
        if not parents or rng.random() < 0.7:
            age = min(base - rng.randint(0, 4), 92)
            parents.append(
                self.person("mother", "F", age, names.surname(rng), ethnicity, taken=self._taken)
            )
        return members + parents

    def _elderly(self) -> list[Person]:
        rng = self.rng
        couple, _, _ = self._couple(rng.randint(62, 88), male_share=0.7)
        return couple if rng.random() < 0.55 else couple[:1]

    def _single_parent(self) -> list[Person]:
        rng = self.rng
        couple, surname, ethnicity = self._couple(rng.randint(30, 55), male_share=0.45)
        head = couple[0]
        mother_age = head.age if head.gender == "F" else couple[1].age
        count = rng.choices((1, 2, 3), (45, 40, 15))[0]
        kids = self._children(mother_age, surname, ethnicity, count, ("son", "daughter"))
        return [head, *kids]

    def _single_adult(self) -> list[Person]:
        rng = self.rng
        couple, surname, ethnicity = self._couple(rng.randint(22, 58), male_share=0.8)
        head = couple[0]
        members = [head]
        if rng.random() < 0.3:
            age = max(18, head.age + rng.randint(-8, 8))
            gender = "M" if rng.random() < 0.5 else "F"
            members.append(
                self.person("sibling", gender, age, head.name[0], ethnicity, taken=self._taken)
            )
        return members

    def _someone_left(self, members: list[Person]) -> None:
        """A member who died or married out stays on the roster with the reason and date."""
        rng, today = self.rng, self.ctx.today
        elders = [
            p
            for p in members
            if p.relation != "head" and (p.relation in ("father", "mother") or p.age >= 75)
        ]
        daughters = [p for p in members if p.relation == "daughter" and p.age >= 20]
        if elders:
            leaver, reason = elders[-1], "died"
        elif daughters:
            leaver, reason = daughters[0], "married_out"
        else:
            return
        leaver.left_reason = reason
        leaver.left_date = today - timedelta(days=rng.randint(20, 700))
        if leaver.left_date <= leaver.birth_date:
            leaver.left_reason, leaver.left_date = None, None
