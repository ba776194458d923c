#define BOOST_TEST_MODULE sandbox_products
#include <boost/test/unit_test.hpp>
