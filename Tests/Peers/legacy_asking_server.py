#!/usr/bin/env python3
"""A legacy-only (mcp 1.x) stdio server whose tools ask their client for input in the middle
of a call, as servers did before 2026-07-28: elicitation/create and sampling/createMessage.
Hangar must turn these into input_required results for modern clients.

Tools:  book_table(day) -> asks (elicitation) how many people, then "booked DAY for N"
        ask_model(question) -> asks (sampling) the client's model, then "model said: TEXT"

Runs with the `legacy` peer venv from scripts/setup-peers.sh (mcp 1.30).
"""

from mcp.server.fastmcp import Context, FastMCP
from mcp.types import SamplingMessage, TextContent
from pydantic import BaseModel

mcp = FastMCP("hangar-test-legacy-asking")


class Party(BaseModel):
    people: int


@mcp.tool()
async def book_table(day: str, ctx: Context) -> str:
    """Book a table; asks the user how many people come."""
    answer = await ctx.elicit(message=f"How many people on {day}?", schema=Party)
    if answer.action != "accept":
        return f"not booked ({answer.action})"
    return f"booked {day} for {answer.data.people}"


@mcp.tool()
async def ask_model(question: str, ctx: Context) -> str:
    """Asks the client's model a question through sampling."""
    result = await ctx.session.create_message(
        messages=[SamplingMessage(role="user", content=TextContent(type="text", text=question))],
        max_tokens=50,
    )
    text = result.content.text if isinstance(result.content, TextContent) else str(result.content)
    return f"model said: {text}"


if __name__ == "__main__":
    mcp.run("stdio")
