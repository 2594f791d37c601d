# bench/spine (launch, round trip)
