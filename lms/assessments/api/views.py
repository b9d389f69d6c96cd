from __future__ import annotations

from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.accounts.current import current_user
from lms.assessments import selectors, services
from lms.assessments.api import serializers as s
from lms.assessments.errors import AssessmentError
from lms.assessments.models import Question, SubmissionStatus
from lms.assessments.permissions import Role
from lms.assessments.read_models import AssignmentDetail, QuizDetail, SubmitResult
from lms.core.errors import NotFound
from lms.core.files import private_file_response
from lms.core.pagination import PageNumberPagination
from lms.core.parsers import FormParser, JSONParser, MultiPartParser
from lms.core.schema import domain_errors
from lms.learning import selectors as learning_selectors


def _paginated(request: Request, view: APIView, queryset: Any, serializer: Any) -> Response:
    paginator = PageNumberPagination()
    page: Any = paginator.paginate_queryset(queryset, request, view=view)
    data = serializer(page, many=True, context={"request": request}).data
    return paginator.get_paginated_response(data)


# --- quizzes -----------------------------------------------------------------------------------


def _quiz_detail(request: Request, quiz_access: selectors.QuizAccess) -> Any:
    quiz, access = quiz_access.quiz, quiz_access.access
    questions = list(selectors.questions_of(quiz=quiz))
    attempts_used = None
    if not access.sees_answers:
        attempts_used = selectors.attempts_of(quiz=quiz, student=request.user).count()
    detail = QuizDetail.of(
        quiz, questions=questions, attempts_used=attempts_used, sees_answers=access.sees_answers
    )
    return s.QuizDetailSerializer(detail).data


class QuizDetailView(APIView):
    @extend_schema(responses=s.QuizDetailSerializer)
    def get(self, request: Request, pk: str) -> Response:
        quiz_access = selectors.quiz_for_user(user=request.user, quiz_id=pk)
        return Response(_quiz_detail(request, quiz_access))

    @extend_schema(request=s.QuizSettingsInputSerializer, responses=s.QuizDetailSerializer)
    def patch(self, request: Request, pk: str) -> Response:
        quiz_access = selectors.quiz_for_user(user=request.user, quiz_id=pk)
        quiz_access.access.require_editor()
        data = s.QuizSettingsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.update_quiz_settings(
            quiz=quiz_access.quiz, by=current_user(request), data=data.validated_data
        )
        return Response(_quiz_detail(request, quiz_access))


class QuizQuestionListView(APIView):
    @extend_schema(responses=s.QuestionAuthorSerializer(many=True))
    def get(self, request: Request, pk: str) -> Response:
        quiz_access = selectors.quiz_for_user(user=request.user, quiz_id=pk)
        quiz_access.access.require_editor()
        questions = selectors.questions_of(quiz=quiz_access.quiz)
        return _paginated(request, self, questions, s.QuestionAuthorSerializer)

    @domain_errors(
        {400: ["invalid_choices", "invalid_accepted_answers"], 403: ["not_course_instructor"]}
    )
    @extend_schema(request=s.QuestionInputSerializer, responses={201: s.QuestionAuthorSerializer})
    def post(self, request: Request, pk: str) -> Response:
        quiz_access = selectors.quiz_for_user(user=request.user, quiz_id=pk)
        quiz_access.access.require_editor()
        data = s.QuestionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        question = services.add_question(
            quiz=quiz_access.quiz, by=current_user(request), **data.validated_data
        )
        question = selectors.questions_of(quiz=quiz_access.quiz).get(pk=question.pk)
        return Response(s.QuestionAuthorSerializer(question).data, status=status.HTTP_201_CREATED)


def _question_payload(question: Question) -> dict[str, Any]:
    """The question read again as the create response shows it, choices in their order."""
    question = selectors.questions_of(quiz=question.quiz).get(pk=question.pk)
    return dict(s.QuestionAuthorSerializer(question).data)


class QuestionDetailView(APIView):
    @extend_schema(responses=s.QuestionAuthorSerializer)
    def get(self, request: Request, pk: str) -> Response:
        question = selectors.question_for_editing(user=request.user, question_id=pk)
        return Response(_question_payload(question))

    @domain_errors(
        {
            400: ["invalid_choices", "invalid_accepted_answers", "question_type_locked"],
            403: ["not_course_instructor"],
        }
    )
    @extend_schema(request=s.QuestionInputSerializer, responses=s.QuestionAuthorSerializer)
    def patch(self, request: Request, pk: str) -> Response:
        """Edit a question: any of the creation fields; `choices` replaces the whole list."""
        question = selectors.question_for_editing(user=request.user, question_id=pk)
        data = s.QuestionInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.update_question(
            question=question, by=current_user(request), data=data.validated_data
        )
        return Response(_question_payload(question))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: str) -> Response:
        question = selectors.question_for_editing(user=request.user, question_id=pk)
        services.delete_question(question=question, by=current_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class QuizAttemptListView(APIView):
    @extend_schema(
        parameters=[s.QuizAttemptsFilterSerializer],
        responses=s.StudentAttemptSerializer(many=True),
    )
    def get(self, request: Request, pk: str) -> Response:
        """A student's own attempts at the quiz; for the course's instructors and staff every
        student's (`?student=` for one), newest first."""
        quiz_access = selectors.quiz_for_user(user=request.user, quiz_id=pk)
        filters = s.QuizAttemptsFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        if quiz_access.access.role is Role.STUDENT:
            quiz_access.access.require_student()
            student = request.user.pk
        else:
            student = filters.validated_data.get("student")
        attempts = selectors.attempts_in_course(
            course=quiz_access.quiz.lesson.course, quiz=quiz_access.quiz.pk, student=student
        )
        return _paginated(request, self, attempts, s.StudentAttemptSerializer)

    @domain_errors(
        {
            403: ["enrollment_required"],
            409: ["quiz_has_no_questions", "max_attempts_reached", "attempt_in_progress"],
        }
    )
    @extend_schema(request=None, responses={201: s.AttemptSerializer})
    def post(self, request: Request, pk: str) -> Response:
        quiz_access = selectors.quiz_for_user(user=request.user, quiz_id=pk)
        quiz_access.access.require_student()
        attempt = services.start_attempt(quiz=quiz_access.quiz, student=current_user(request))
        view = selectors.attempt_view(attempt=attempt)
        return Response(s.AttemptSerializer(view).data, status=status.HTTP_201_CREATED)


class AttemptDetailView(APIView):
    @extend_schema(responses=s.AttemptSerializer)
    def get(self, request: Request, pk: str) -> Response:
        attempt = selectors.attempt_for_student(user=request.user, attempt_id=pk)
        return Response(s.AttemptSerializer(selectors.attempt_view(attempt=attempt)).data)


class AttemptSubmitView(APIView):
    @domain_errors(
        {
            400: ["question_not_in_quiz", "duplicate_answer", "invalid_answer", "question_changed"],
            403: ["enrollment_required"],
            409: ["attempt_already_submitted", "attempt_expired"],
        }
    )
    @extend_schema(request=s.SubmitInputSerializer, responses=s.SubmitResultSerializer)
    def post(self, request: Request, pk: str) -> Response:
        attempt = selectors.attempt_for_student(user=request.user, attempt_id=pk)
        data = s.SubmitInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attempt = services.submit_attempt(
            attempt=attempt, student=current_user(request), answers=data.validated_data["answers"]
        )
        certificate_status, certificate_id = learning_selectors.certificate_standing(
            student_id=request.user.pk, course_id=attempt.quiz.lesson.course_id
        )
        view = selectors.attempt_view(attempt=attempt)
        result = SubmitResult(
            certificate_status=certificate_status,
            certificate_id=certificate_id,
            attempt=view.attempt,
            review=view.review,
        )
        return Response(s.SubmitResultSerializer(result).data)


# --- assignments -------------------------------------------------------------------------------


class AssignmentDetailView(APIView):
    @extend_schema(responses=s.AssignmentDetailSerializer)
    def get(self, request: Request, pk: str) -> Response:
        found = selectors.assignment_for_user(user=request.user, assignment_id=pk)
        enrollment = found.access.enrollment
        due_at = services.due_at(found.assignment, enrollment) if enrollment else None
        detail = AssignmentDetail.of(found.assignment, due_at=due_at)
        return Response(s.AssignmentDetailSerializer(detail).data)

    @extend_schema(request=s.AssignmentInputSerializer, responses=s.AssignmentDetailSerializer)
    def patch(self, request: Request, pk: str) -> Response:
        found = selectors.assignment_for_user(user=request.user, assignment_id=pk)
        found.access.require_editor()
        data = s.AssignmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = services.update_assignment(
            assignment=found.assignment, by=current_user(request), data=data.validated_data
        )
        return Response(s.AssignmentDetailSerializer(AssignmentDetail.of(assignment)).data)


class AssignmentSubmissionListView(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=SubmissionStatus.values),
        ],
        responses=s.SubmissionSerializer(many=True),
    )
    def get(self, request: Request, pk: str) -> Response:
        found = selectors.assignment_for_user(user=request.user, assignment_id=pk)
        submissions = selectors.submissions_visible(user=request.user, assignment_access=found)
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in SubmissionStatus.values:
                raise ValidationError({"status": ["Unknown status."]}, code="invalid_choice")
            submissions = submissions.filter(status=wanted)
        return _paginated(request, self, submissions, s.SubmissionSerializer)

    @domain_errors(
        {
            400: ["empty_submission"],
            403: ["enrollment_required"],
            409: ["submission_already_graded", "submission_conflict"],
            413: ["file_too_large"],
            415: ["files_not_accepted", "unsupported_file_type", "empty_file"],
        }
    )
    @extend_schema(
        request={"multipart/form-data": s.SubmissionInputSerializer},
        responses={201: s.SubmissionSerializer, 200: s.SubmissionSerializer},
    )
    def post(self, request: Request, pk: str) -> Response:
        found = selectors.assignment_for_user(user=request.user, assignment_id=pk)
        enrollment = found.access.require_student()
        data = s.SubmissionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        submission, created = services.submit_assignment(
            assignment=found.assignment,
            student=current_user(request),
            enrollment=enrollment,
            text=data.validated_data.get("text", ""),
            file=data.validated_data.get("file"),
        )
        return Response(
            s.SubmissionSerializer(submission, context={"request": request}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class SubmissionDetailView(APIView):
    @extend_schema(responses=s.SubmissionSerializer)
    def get(self, request: Request, pk: str) -> Response:
        found = selectors.submission_for_user(user=request.user, submission_id=pk)
        return Response(s.SubmissionSerializer(found.submission, context={"request": request}).data)


class SubmissionFileView(APIView):
    """The submitted file, to its student and the course's instructors, always as an attachment."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: str) -> FileResponse:
        submission = selectors.submission_for_user(user=request.user, submission_id=pk).submission
        if not submission.file:
            raise NotFound("This submission has no file.", code=AssessmentError.NO_FILE)
        return private_file_response(
            submission.file, filename_stem=f"submission-{submission.pk}-r{submission.revision}"
        )


class SubmissionGradeView(APIView):
    @domain_errors(
        {400: ["invalid_score"], 403: ["not_course_instructor"], 409: ["submission_already_graded"]}
    )
    @extend_schema(request=s.GradeInputSerializer, responses=s.SubmissionSerializer)
    def post(self, request: Request, pk: str) -> Response:
        found = selectors.submission_for_user(user=request.user, submission_id=pk)
        found.access.require_editor()
        data = s.GradeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        submission = services.grade_submission(
            submission=found.submission,
            by=current_user(request),
            score=data.validated_data["score"],
            feedback=data.validated_data.get("feedback", ""),
            request=request,
        )
        return Response(s.SubmissionSerializer(submission, context={"request": request}).data)


# --- the course's instructors: their students' work ---------------------------------------------


class CourseAttemptListView(APIView):
    @domain_errors({403: ["not_course_instructor"]})
    @extend_schema(
        parameters=[s.CourseAttemptsFilterSerializer],
        responses=s.StudentAttemptSerializer(many=True),
    )
    def get(self, request: Request, course: str) -> Response:
        """Every quiz attempt of the course's students, newest first (`?student=`, `?quiz=`);
        for its instructors and staff."""
        found = selectors.course_for_grading(user=request.user, ref=course)
        filters = s.CourseAttemptsFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        attempts = selectors.attempts_in_course(course=found, **filters.validated_data)
        return _paginated(request, self, attempts, s.StudentAttemptSerializer)


class CourseSubmissionListView(APIView):
    @domain_errors({403: ["not_course_instructor"]})
    @extend_schema(
        parameters=[s.CourseSubmissionsFilterSerializer],
        responses=s.SubmissionSerializer(many=True),
    )
    def get(self, request: Request, course: str) -> Response:
        """Every assignment submission of the course's students, latest first (`?student=`,
        `?assignment=`, `?status=`); for its instructors and staff."""
        found = selectors.course_for_grading(user=request.user, ref=course)
        filters = s.CourseSubmissionsFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        submissions = selectors.submissions_in_course(course=found, **filters.validated_data)
        return _paginated(request, self, submissions, s.SubmissionSerializer)
