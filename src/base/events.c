/* Event kind names. */
#include "ccodex/events.h"

const char *cx_event_kind_name(cx_event_kind kind)
{
    switch (kind) {
    case CX_EV_TURN_STARTED:
        return "turn_started";
    case CX_EV_TURN_COMPLETED:
        return "turn_completed";
    case CX_EV_TURN_FAILED:
        return "turn_failed";
    case CX_EV_TURN_ABORTED:
        return "turn_aborted";
    case CX_EV_TEXT_DELTA:
        return "text_delta";
    case CX_EV_REASONING_DELTA:
        return "reasoning_delta";
    case CX_EV_ITEM_STARTED:
        return "item_started";
    case CX_EV_ITEM_UPDATED:
        return "item_updated";
    case CX_EV_ITEM_COMPLETED:
        return "item_completed";
    case CX_EV_TOOL_STARTED:
        return "tool_started";
    case CX_EV_TOOL_COMPLETED:
        return "tool_completed";
    case CX_EV_SAMPLING:
        return "sampling";
    case CX_EV_STEER_INSERTED:
        return "steer_inserted";
    case CX_EV_RETRY:
        return "retry";
    case CX_EV_WARNING:
        return "warning";
    case CX_EV_COMPACTED:
        return "compacted";
    }
    return "unknown";
}
