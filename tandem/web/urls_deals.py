from django.urls import path

from tandem.web.views import board, deals

urlpatterns = [
    path("deals/board/", board.board_view, name="board"),
    path("deals/board/column/<int:stage_pk>/", board.board_column, name="board_column"),
    path("deals/new/", deals.deal_create, name="deal_create"),
    path("deals/related/", deals.deals_for_record, name="deals_for_record"),
    path("deals/<int:pk>/", deals.deal_detail, name="deal_detail"),
    path("deals/<int:pk>/edit/", deals.deal_edit, name="deal_edit"),
    path("deals/<int:pk>/move/", deals.deal_move, name="deal_move"),
    path("deals/<int:pk>/take/", deals.deal_take, name="deal_take"),
    path("deals/<int:pk>/trash/", deals.deal_trash, name="deal_trash"),
]
