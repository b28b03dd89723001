"""The MAX channel: the same product in MAX (the national messenger) beside Telegram.

client   MAX's Bot API through the maxapi library (its transport, errors and upload URLs), retries left to us
render   a neutral screen as MAX's HTML text and inline keyboard; lines under MAX's 4,000 characters
updates  a raw update read into an event, with the key its exactly-once mark is kept under
chat     bot.chat.Chat for MAX: what the shared flows (bot.features) say, said through MAX
app      the MAX bot: each update in its person's order, routed to the features, in the update's unit of work
serve    MAX's updates in: long polling through the inbox, or the webhook
outlet   the reminder runner's way into MAX, with MAX's rate (30 requests/s) and its errors read
"""
