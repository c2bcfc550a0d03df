"""The demo: Saratov oblast with plausible agencies, routing, users and several weeks of residents' messages.

``otklik demo`` loads it all and walks the cases through their lifecycle with backdated times, so
every screen — queue, case history, KPIs, heat map — has something real to show. Nothing here is
imported by the product's own apps.
"""
