"""What the bot does for a person, written once for every channel: a module a feature.

Each feature takes the update's context (bot.context: the chat it answers, Telegram's or MAX's; the
conversation; the person with their municipality and school, None for a stranger; the update's session; the
services) and, for a command, a button or a typed step, what came with it. The one route table (bot.routes)
picks the feature. Rules live in the services (storage, surveys, monitoring, scoring), the texts in bot.texts.
A refusal a service raises (surveys.errors) is answered by the pipeline (bot.pipeline), in Russian, with the
update's writes rolled back. The questionnaire itself is surveys.answering (bot.features.questionnaire).
"""

from __future__ import annotations

from bot.features.calendar import (
    CalendarShift,
    calendar_button,
    show_calendar,
    typed_date,
)
from bot.features.campaigns import (
    NewCampaign,
    campaign_button,
    list_campaigns,
    new_campaign,
    new_campaign_button,
    typed_deadline,
    typed_period,
)
from bot.features.chase import chase_button, missing
from bot.features.copies import copy_button, copy_command
from bot.features.documents import card, card_button, card_file, chat_moved, open_app, setchat, summary
from bot.features.privacy import forget_answer, forget_ask, my_data
from bot.features.registration import (
    Registration,
    consent_answer,
    full_name,
    help_,
    link,
    name_not_text,
    start,
    start_with_token,
    surveys,
    whoami,
)
from bot.features.report import ReportFlow, report, report_button, typed_meeting
from bot.features.returns import (
    ReturnFlow,
    comment_not_text,
    return_button,
    typed_comment,
)

__all__ = ['CalendarShift', 'NewCampaign', 'Registration', 'ReportFlow', 'ReturnFlow', 'calendar_button', 'campaign_button', 'card', 'card_button', 'card_file', 'chat_moved', 'chase_button', 'comment_not_text', 'consent_answer', 'copy_button', 'copy_command', 'forget_answer', 'forget_ask', 'full_name', 'help_', 'link', 'list_campaigns', 'missing', 'my_data', 'name_not_text', 'new_campaign', 'new_campaign_button', 'open_app', 'report', 'report_button', 'return_button', 'setchat', 'show_calendar', 'start', 'start_with_token', 'summary', 'surveys', 'typed_comment', 'typed_date', 'typed_deadline', 'typed_meeting', 'typed_period', 'whoami']
