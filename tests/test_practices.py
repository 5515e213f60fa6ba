"""Practices on fixtures written in the styles of the corpus: work-report task sections, run-on 一是 lists,
consecutive lists, paragraph-leading terms and lessons."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.enumerations import parse_enumeration, walk
from pipeline.headlines import split_headline
from pipeline.structure import extract_structure

from .test_structure import report_from

FIXTURES = Path(__file__).parent / "fixtures" / "structure"

# the heading kinds ingestion gives a work report: its keyword lexicon files "主要任务" under recommendations
WORK_REPORT_HEADINGS = [
    ("一、去年工作回顾", "practices", 1), ("（一）稳定农业生产，增加农民收入", "other", 2), ("（二）改善城市环境", "other", 2),
    ("二、今年主要任务", "recommendations", 1), ("（一）促进农业发展和农民增收", "other", 2),
    ("（二）加强环境保护和食品安全工作", "other", 2), ("（三）加强政府自身建设", "other", 2),
    ("三、对明年工作的建议", "recommendations", 1), ("（一）继续扩大有效投资", "other", 2)]


@pytest.fixture
def work_report():
    text = (FIXTURES / "zh_work_report_tasks.txt").read_text(encoding="utf-8")
    return report_from(text, WORK_REPORT_HEADINGS, language="zh")


def tree(practices) -> list[tuple[str, int, str]]:
    return [(p.id, p.level, p.text) for p in practices]


def test_task_section_headings_are_practices_with_their_run_on_lists(work_report):
    got = extract_structure(work_report)
    tasks = [p for p in got.practices if p.group == "二、今年主要任务" or (p.parent or "").startswith(("P3", "P4", "P5"))]
    assert tree(tasks) == [
        ("P3", 1, "促进农业发展和农民增收"),
        ("P3.1", 2, "稳定粮食生产，保障口粮供给"), ("P3.2", 2, "加强农田水利建设"), ("P3.3", 2, "拓宽农民增收渠道"),
        ("P4", 1, "加强环境保护和食品安全工作"),
        ("P4.1", 2, "关停小型燃煤锅炉"), ("P4.2", 2, "建设污水处理厂"), ("P4.3", 2, "推广垃圾分类"),
        ("P4.4", 2, "完善食品抽检制度"), ("P4.5", 2, "严惩违法生产企业"),
        ("P5", 1, "加强政府自身建设")]
    # a proposals part (建议) stays recommendations
    assert [r.text for r in got.recommendations] == ["继续扩大有效投资"]


def test_task_section_through_ingestion():
    ingest = pytest.importorskip("pipeline.ingest")
    got = extract_structure(ingest.ingest_file(FIXTURES / "zh_work_report_tasks.txt"))
    assert [p.text for p in got.practices if p.level == 1] == [
        "稳定农业生产，增加农民收入", "改善城市环境", "促进农业发展和农民增收", "加强环境保护和食品安全工作", "加强政府自身建设"]
    assert len(got.practices) == 15


def test_a_second_list_after_a_lead_in_is_a_sibling_not_a_child(work_report):
    got = extract_structure(work_report)
    by_text = {p.text: p for p in got.practices}
    assert by_text["完善食品抽检制度"].parent == "P4" and by_text["完善食品抽检制度"].level == 2
    # the last item of the first list ends with its paragraph: the next list's lead-in is not its detail
    assert by_text["推广垃圾分类"].detail == "今年要在城区全面推行。"


@pytest.mark.parametrize("text, expected", [
    # consecutive lists in separate paragraphs
    ("要做好两项工作。一是修路。二是架桥。\n\n加强安全。一是查隐患。二是抓整改。",
     [(1, "修路"), (1, "架桥"), (1, "查隐患"), (1, "抓整改")]),
    # a list inside an item's own paragraph still nests
    ("Plan: First, clean the wells. First, test the water. Second, seal the caps. Second, fence the fields.",
     [(1, "clean the wells"), (2, "test the water"), (2, "seal the caps"), (1, "fence the fields")]),
    # a one-item list followed by a list in the next paragraph: the new list details that item
    ("First, clean the wells.\n\nFirst, test the water. Second, seal the caps.",
     [(1, "clean the wells"), (2, "test the water"), (2, "seal the caps")]),
])
def test_consecutive_word_lists_versus_nested_ones(text, expected):
    language = "zh" if "一是" in text else "en"
    forest = parse_enumeration(text, language=language)
    got = []
    for item, level, _ in walk(forest):
        (hs, he), _ = split_headline(text, item, language)
        got.append((level, text[hs:he]))
    assert got == expected


def test_strategies_listed_between_top_level_sections_are_practices():
    """An audit letter's unheaded opening between the highlights and the first body section is read, and a
    lead-in counting "leading strategies" announces practices."""
    from pipeline.records import Report, Section

    text = (FIXTURES / "audit_key_strategies.md").read_text(encoding="utf-8")

    def section(heading: str, kind: str, end_at: str, level: int = 1) -> Section:
        start = text.index(heading)
        end = text.index(end_at) if end_at else len(text)
        return Section(heading=heading, level=level, kind=kind, span=(start, end),
                       heading_span=(start, start + len(heading)))

    sections = [section("Highlights", "other", "Dear Chairman"),
                section("What the Office Found", "findings", "Dear Chairman", 2),
                section("Background", "situation", "")]
    report = Report(id="t", source="fixture", title=text.splitlines()[0], language="en", text=text,
                    sections=sections)
    got = extract_structure(report)
    assert [p.text for p in got.practices] == ["Tie payments to results", "Review the measures every year",
                                               "Train grantee staff", "Phase in new requirements"]
    assert got.practices[0].detail == "Grantors pay part of each grant only when the agreed results are met."


def test_run_in_topics_of_an_assessment_are_not_practices():
    """Run-in headings in a practices part are practices when they name measures ("Guidance. The agency
    issued ..."), not when they name an assessed attribute ("Accuracy.", "Call quality.") or a challenge."""
    text = (FIXTURES / "audit_run_in_topics.md").read_text(encoding="utf-8")
    heads = [("Agency Practices to Support Call Centers", "practices", 1),
             ("Agency Practices for Measuring Call Center Performance", "practices", 1)]
    got = extract_structure(report_from(text, heads))
    assert [p.text for p in got.practices] == ["Guidance", "Trainings"]
    assert got.practices[0].detail.startswith("The agency issued letters")


@pytest.mark.parametrize("name, heading, language, expected", [
    ("unpunctuated_list.md", "I. Main practices", "en",
     [("Clean the village wells", "The county paid for the work in 2022."), ("Fence the grazing fields", "Herders now move their flocks less often.")]),
    ("zh_unpunctuated_list.txt", "一、主要做法", "zh",
     [("修缮村级水井", ""), ("推广节水灌溉", "今年全县推广面积达到一万亩。")]),
])
def test_headline_without_final_punctuation_ends_at_its_line(name, heading, language, expected):
    text = (FIXTURES / name).read_text(encoding="utf-8")
    got = extract_structure(report_from(text, [(heading, "practices", 1)], language=language))
    assert [(p.text, p.detail) for p in got.practices] == expected


LESSONS_HEADINGS = [
    ("一、过去三年工作回顾", "practices", 1), ("（一）坚持把乡村医生培训放在首位，健全培训制度", "other", 2),
    ("（二）坚持稳定经费投入，改善诊所条件", "other", 2), ("二、几年来的主要工作体会", "practices", 1),
    ("（一）必须坚持以群众需求为导向", "other", 2), ("（二）必须坚持稳定的经费保障", "other", 2),
    ("三、主要做法", "practices", 1)]


def test_work_lessons_that_state_measures_are_practices_and_those_that_say_must_are_findings():
    """A "工作体会" list of measures taken ("（一）坚持把乡村医生培训放在首位") is practices; the same lead-in
    before headings or run-on items that say what must be done ("必须坚持...") lists lessons: findings."""
    text = (FIXTURES / "zh_lessons_and_practices.txt").read_text(encoding="utf-8")
    # every part is given as practices: the lead-in and the headlines decide
    got = extract_structure(report_from(text, LESSONS_HEADINGS, language="zh"))
    assert [p.text for p in got.practices] == [
        "坚持把乡村医生培训放在首位，健全培训制度", "开办县级培训班", "选派骨干到市医院进修",
        "坚持稳定经费投入，改善诊所条件", "培训医生", "稳定经费"]
    assert [f.text for f in got.findings] == [
        "必须坚持以群众需求为导向", "必须坚持稳定的经费保障", "必须重视医生队伍建设", "必须保持经费稳定"]


@pytest.mark.parametrize("heading, kind", [
    ("二、2009年主要任务", "practices"), ("II. Main tasks for 2009", "practices"),
    ("三、下一步工作任务", "recommendations"), ("三、对今年工作的建议", "recommendations")])
def test_a_task_heading_names_practices_unless_it_also_names_advice(heading, kind):
    from pipeline.records import Section
    from pipeline.regions import section_kinds

    section = Section(heading=heading, level=1, kind="recommendations", span=(0, 10), heading_span=(0, 5))
    assert section_kinds([section]) == [kind]


# ------------------------------------------------------------------ problems, risks, barriers: not practices

def test_barriers_listed_in_a_practices_part_or_under_their_own_heading_are_not_practices():
    ingest = pytest.importorskip("pipeline.ingest")
    got = extract_structure(ingest.ingest_file(FIXTURES / "practices_and_barriers.md"))
    assert [p.text for p in got.practices] == [
        "it set up a job placement office in each district library",
        "it paid employers a wage subsidy for the first six months of each placement",
        "it trained mentors in partner firms to coach new workers"]
    assert got.practices[-1].detail == ""  # the problems' lead-in after it is not its detail
    assert [r.text for r in got.recommendations] == ["The county should extend the opening hours of the placement offices."]


def test_chinese_problems_after_the_measures_are_not_practices_and_the_problems_part_gives_findings():
    ingest = pytest.importorskip("pipeline.ingest")
    got = extract_structure(ingest.ingest_file(FIXTURES / "zh_practices_and_problems.txt"))
    texts = [p.text for p in got.practices]
    assert texts == ["完善服务体系", "建立县乡村三级电商服务站点", "组建电商培训讲师团", "开通农产品冷链物流专线",
                     "强化政策支持", "设立电商发展专项资金", "对网店给予房租补贴"]
    assert got.practices[-1].detail == ""  # "工作中也面临一些困难：" leads in the problems, it details no measure
    assert [f.text for f in got.findings] == ["资金投入不足，部分站点运转困难", "农产品标准化程度低，难以形成品牌",
                                              "人才外流严重，网店经营不稳定"]


@pytest.mark.parametrize("text, practices", [
    # the lead-in names the difficulties, but what follows is what was done about them
    ("## Practices\n\nTo overcome these difficulties, the county took the following measures:\n\n"
     "First, it opened two more offices.\n\nSecond, it hired four mentors.\n",
     ["it opened two more offices", "it hired four mentors"]),
    # no lead-in at all: the items themselves state problems
    ("## Practices\n\nFirst, insufficient funding limits the opening hours.\n\n"
     "Second, a lack of mentors delays placements.\n\nThird, high staff turnover weakens coaching.\n", []),
    ("## 主要做法\n\n一是资金投入不足。二是专业人才缺乏。三是物流成本偏高。\n", []),
    ("## 主要做法\n\n一是针对资金不足，设立专项资金。二是针对人才缺乏，开办培训班。\n",
     ["针对资金不足，设立专项资金", "针对人才缺乏，开办培训班"]),
])
def test_lists_of_problems_are_not_practices_and_measures_against_them_are(text, practices):
    language = "zh" if "主要做法" in text else "en"
    heading = text.split("\n", 1)[0]
    report = report_from(text, [(heading, "practices", 1)], language=language)
    assert [p.text for p in extract_structure(report).practices] == practices


def test_a_challenges_section_inside_a_practices_part_does_not_inherit_its_kind():
    text = ("Practices\n\nThe bureau took these steps:\n\n• It published a data inventory.\n• It trained its analysts.\n\n"
            "Challenges\n\n• Staff shortages slow the reviews.\n• Old systems cannot share records.\n")
    report = report_from(text, [("Practices", "practices", 1), ("Challenges", "other", 2)])
    assert [p.text for p in extract_structure(report).practices] == ["It published a data inventory",
                                                                     "It trained its analysts"]


@pytest.mark.parametrize("heading, barrier", [
    ("Challenges", True), ("3. Key Challenges", True), ("Risk factors", True), ("Problems and Barriers", True),
    ("三、存在的问题", True), ("困难和问题", True), ("面临的挑战", True),
    ("Practices", False), ("Risk Assessment", False), ("Challenges and Lessons Learned", False), ("主要做法", False),
])
def test_barrier_headings(heading, barrier):
    from pipeline.cues import is_barrier_heading

    assert is_barrier_heading(heading) is barrier
