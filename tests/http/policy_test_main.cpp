#define BOOST_TEST_MODULE http_policy
#include <boost/test/unit_test.hpp>
