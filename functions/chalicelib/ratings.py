"""The applicant's rating of a dossier (issue 16, deliverable 4): once the result was returned
(status 10), whoever holds the lookup secret answers a few questions and may add a comment,
once per dossier (the store refuses a second rating: ports.Ratings).

The questions follow the spirit of the satisfaction group of Quyết định 766/QĐ-TTg (2022), the
national index of service to citizens and businesses. What we used and how sure it is:
- that the index has a satisfaction group ("Mức độ hài lòng", 18 of 100 points) whose ratio for
  procedures is the share of dossiers not rated "not satisfied": secondary sources only (legal
  news summaries of the decision; the decision's annex was not read here). UNVERIFIED.
- the aspects asked about (overall, time taken against the appointment, the officers' conduct
  and guidance, ease of filing and following the dossier online) and the three levels: modelled
  on the criteria a provincial portal shows beside its ratings (Thừa Thiên Huế's public
  statistics page), not on a legal text. No question here is legal text.
The overall question (`tong_the`) is the one the published satisfaction rate counts
(buildlib/site/stats.py, docs/statistics.md).
"""

from typing import Any

from .dossiers import Service, state_of
from .errors import ActionNotAllowedError, ValidationFailedError
from .storage.ports import Rating, Ratings, StoredDossier

RETURNED = 10  # Đã trả kết quả: the only status in which a dossier can be rated
OVERALL = "tong_the"
QUESTIONS = {
    OVERALL: "Nhìn chung, bạn hài lòng với việc giải quyết hồ sơ này ở mức nào?",
    "thoi_gian": "Thời gian giải quyết và trả kết quả so với ngày hẹn",
    "can_bo": "Thái độ, sự hướng dẫn của cán bộ, công chức",
    "truc_tuyen": "Sự thuận tiện khi nộp và theo dõi hồ sơ trực tuyến",
}
LEVELS = {
    "rat_hai_long": "Rất hài lòng",
    "hai_long": "Hài lòng",
    "khong_hai_long": "Không hài lòng",
}
NOT_SATISFIED = "khong_hai_long"
COMMENT_MAX = 1000
CHOOSE = "Chọn một mức đánh giá."
NOT_YET = "Chỉ đánh giá được sau khi hồ sơ đã trả kết quả."


def form() -> dict[str, Any]:
    """What the status page asks, from here (one home for the questions and levels)."""
    return {
        "questions": [
            {
                "id": qid,
                "label": label,
                "levels": [{"id": lid, "label": text} for lid, text in LEVELS.items()],
            }
            for qid, label in QUESTIONS.items()
        ],
        "comment_max": COMMENT_MAX,
    }


def parse(body: Any) -> tuple[dict[str, str], str]:
    """The answers and the comment of a rating request, or ValidationFailedError with a
    Vietnamese message per field (`/answers/<question>`, `/comment`)."""
    if not isinstance(body, dict):
        raise ValidationFailedError("Nội dung đánh giá phải là một đối tượng JSON.")
    answers = body.get("answers")
    problems: dict[str, str] = {}
    if not isinstance(answers, dict):
        answers = {}
        problems["/answers"] = "Trả lời các câu hỏi đánh giá."
    for name in answers.keys() - QUESTIONS.keys():
        problems[f"/answers/{name}"] = "Không có câu hỏi này."
    for qid in QUESTIONS:
        if answers.get(qid) not in LEVELS:
            problems[f"/answers/{qid}"] = CHOOSE
    comment = body.get("comment", "")
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        problems["/comment"] = "Ý kiến phải là văn bản."
        comment = ""
    elif len(comment.strip()) > COMMENT_MAX:
        problems["/comment"] = f"Ý kiến dài tối đa {COMMENT_MAX} ký tự."
    for name in body.keys() - {"answers", "comment"}:
        problems[f"/{name}"] = "Trường này không được nhận."
    if problems:
        raise ValidationFailedError(fields=problems)
    return {qid: answers[qid] for qid in QUESTIONS}, comment.strip()


class RatingDesk:
    """The status routes' side of ratings: the lookup tells the page whether to ask, `rate`
    stores the one rating. Both are authorised by the lookup secret, as the lookup is."""

    def __init__(self, service: Service, ratings: Ratings):
        self.service, self.ratings = service, ratings

    def lookup(self, code: str, secret: str | None, client: str) -> dict[str, Any]:
        """The status view with `rating`: null before the result is returned, else
        `{"given": bool}` and, until given, the questions to ask (`form()`)."""
        stored = self.service.authorised(code, secret, client)
        return self.service.view(stored) | {"rating": self._rating(stored)}

    def rate(self, code: str, secret: str | None, client: str, body: Any) -> dict[str, Any]:
        stored = self.service.authorised(code, secret, client)
        if state_of(stored).status != RETURNED:
            raise ActionNotAllowedError(NOT_YET)
        answers, comment = parse(body)
        at = self.service.now().isoformat(timespec="seconds")
        dossier = stored.dossier
        self.ratings.add(
            Rating(stored.code, dossier.office, dossier.procedure, at, answers, comment)
        )
        return {"rating": {"given": True}}

    def _rating(self, stored: StoredDossier) -> dict[str, Any] | None:
        if state_of(stored).status != RETURNED:
            return None
        if self.ratings.get(stored.code) is not None:
            return {"given": True}
        return {"given": False, **form()}
